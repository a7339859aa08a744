import numpy as np
import pytest
from sklearn.datasets import load_digits

from learner.exceptions import LearnerError
from learner.models.committee import SoftmaxCommittee
from learner.models.softmax import SoftmaxConfig


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


def test_members_are_trained_on_different_resamples_and_vote_sensibly(digits):
    X, y = digits
    committee = SoftmaxCommittee(SoftmaxConfig(members=4, epochs=150), device="cpu").fit(X[:150], y[:150])

    members = committee.predict_proba_members(X[1000:1400]).numpy()  # (4, 400, 10)
    assert members.shape == (4, 400, 10)
    assert not np.allclose(members[0], members[1], atol=1e-3)  # bootstrap made them differ
    consensus = committee.predict_proba(X[1000:1400])
    np.testing.assert_allclose(consensus, members.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(consensus.sum(axis=1), 1.0, atol=1e-6)
    assert (committee.predict(X[1000:1400]) == y[1000:1400]).mean() > 0.8

    # Members disagree more on the items the consensus gets wrong than on those it gets right.
    spread = members.std(axis=0).sum(axis=1)  # (400,)
    wrong = committee.predict(X[1000:1400]) != y[1000:1400]
    assert spread[wrong].mean() > 1.2 * spread[~wrong].mean()


def test_committee_is_deterministic_and_round_trips(digits, tmp_path):
    X, y = digits
    config = SoftmaxConfig(members=3, epochs=60, seed=7)
    a = SoftmaxCommittee(config, device="cpu").fit(X[:80], y[:80])
    b = SoftmaxCommittee(config, device="cpu").fit(X[:80], y[:80])
    np.testing.assert_array_equal(a.predict_proba_members(X[:50]).numpy(), b.predict_proba_members(X[:50]).numpy())

    a.save(tmp_path / "committee.pt")
    loaded = SoftmaxCommittee.load(tmp_path / "committee.pt", device="cpu")
    np.testing.assert_allclose(loaded.predict_proba_members(X[:50]).numpy(), a.predict_proba_members(X[:50]).numpy())


def test_a_committee_of_one_is_refused(digits):
    X, y = digits
    with pytest.raises(LearnerError, match="at least 2 members"):
        SoftmaxCommittee(SoftmaxConfig(members=1), device="cpu").fit(X[:20], y[:20])
