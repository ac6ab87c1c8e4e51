"""Open311 POST is anonymous (an API key in the body): it is rate limited per client address on
the shared limiter, before the key is even looked at."""

from zhengtong.grid.models import Incident
from zhengtong.grid.tests.test_open311 import BASE, key, post  # noqa: F401 - key is a fixture


def test_open311_post_is_rate_limited_per_client_address(client, grid, key, settings):  # noqa: F811
    settings.GRID_OPEN311_POST_RATE_PER_MINUTE = 3
    statuses = [post(client, key).status_code for _ in range(3)]
    statuses += [post(client, "not-a-key").status_code for _ in range(2)]
    assert statuses == [201, 201, 201, 429, 429]
    assert Incident.objects.count() == 3
    refused = post(client, key)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()[0]["code"] == 429
    assert Incident.objects.count() == 3
    # Another address has its own budget.
    assert client.post(f"{BASE}/requests.json", {}, REMOTE_ADDR="10.0.0.9").status_code != 429
