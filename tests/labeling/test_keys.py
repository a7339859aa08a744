from labeling.keys import ACTIONS, CLASS_KEYS, class_keys


def _keys(names, chosen=()):
    return [(k.name, k.key) for k in class_keys(names, chosen)]


def test_digit_classes_get_their_own_digit_not_their_position():
    assert _keys([str(d) for d in range(10)]) == [(str(d), str(d)) for d in range(10)]


def test_other_classes_get_1_to_9_then_0_then_letters_without_clashes():
    names = [f"class {i}" for i in range(12)]
    assert [key for _, key in _keys(names)] == list("1234567890ab")


def test_one_letter_classes_keep_their_letter_and_the_rest_avoid_it():
    assert _keys(["cat", "B", "1", "dog"]) == [("cat", "2"), ("B", "b"), ("1", "1"), ("dog", "3")]


def test_an_admins_keys_come_first():
    assert _keys(["3", "5", "other"], chosen=["5", "", ""]) == [("3", "5"), ("5", "1"), ("other", "2")]


def test_more_classes_than_keys_leaves_the_rest_click_only():
    keys = [key for _, key in _keys([f"c{i}" for i in range(40)])]
    assert keys[:36] == list(CLASS_KEYS) and keys[36:] == ["", "", "", ""]


def test_action_keys_never_collide_with_class_keys():
    action_keys = {key for action in ACTIONS.values() for key in action.keys}
    assert not action_keys & set(CLASS_KEYS)
