"""What the API server itself counts of the requests it served (``apiserver_request_total``
from its /metrics), split into reads and writes: the independent witness of what an
operator costs, used by the idle-cost test and by ``make bench``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.helpers import kubectl

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY"})
READS = frozenset({"GET", "LIST", "WATCH"})
#: The API server's own heartbeat (its identity Lease, renewed every 10 s) is not a client's
#: request; non-resource requests (discovery, /metrics, /healthz) have no resource.
IGNORED = frozenset({"leases", ""})

Key = tuple[str, str, str]  # verb, resource, subresource


def scrape(kubeconfig: str) -> Counter[Key]:
    """``apiserver_request_total`` summed by verb, resource and subresource."""
    raw = kubectl(kubeconfig, "get", "--raw", "/metrics")
    assert raw.returncode == 0, raw.stderr
    totals: Counter[Key] = Counter()
    for family in text_string_to_metric_families(raw.stdout):
        if family.name != "apiserver_request":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            labels = sample.labels
            resource = labels.get("resource", "")
            if resource in IGNORED:
                continue
            key = (labels.get("verb", ""), resource, labels.get("subresource", ""))
            totals[key] += int(sample.value)
    return totals


@dataclass(frozen=True)
class Window:
    """The requests served between two scrapes."""

    counts: Counter[Key]

    @classmethod
    def between(cls, before: Counter[Key], after: Counter[Key]) -> Window:
        return cls(Counter({k: after[k] - before[k] for k in after if after[k] > before[k]}))

    def total(self, verbs: frozenset[str]) -> int:
        return sum(n for (verb, _, _), n in self.counts.items() if verb in verbs)

    @property
    def reads(self) -> int:
        return self.total(READS)

    @property
    def writes(self) -> int:
        return self.total(WRITES)

    def of(self, verbs: frozenset[str]) -> dict[str, int]:
        """``VERB resource[/sub]`` → count, for messages."""
        return {
            f"{verb} {resource}{'/' + sub if sub else ''}": n
            for (verb, resource, sub), n in sorted(self.counts.items())
            if verb in verbs
        }
