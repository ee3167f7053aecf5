"""An id beyond the database's integer range answers 404, not 500."""
import pytest

HUGE = 9223372036854775808


@pytest.mark.parametrize("url", ["/api/v1/trainingplan/%d", "/trainingplanreview/all/show/%d", "/files/%d"])
def test_huge_ids_are_not_found(personas, login, url):
    assert login(personas.city).get(url % HUGE).status_code == 404
