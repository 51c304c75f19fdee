"""The fake Graph Send API a Instagram inbox's graph_url can point at (tests, `make demo FAKE_PROVIDERS=1`):
Messenger and Instagram share it (connectors/meta/fake_provider.py)."""

from layan.connectors.meta.fake_provider import FakeGraphSendApi


class FakeInstagramApi(FakeGraphSendApi):
    name = "instagram"
