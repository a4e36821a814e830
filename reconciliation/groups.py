"""Things tied together in pairs, gathered into groups (union-find): zones tied by transfers,
the lots of one route across zones, the operators a finding may span."""

from collections.abc import Hashable, Iterable


def roots(pairs: Iterable[tuple[Hashable, Hashable]], nodes: Iterable[Hashable] = ()) -> dict:
    """Each node (of ``nodes`` and of ``pairs``) with one representative of its group."""
    parent = {node: node for node in nodes}

    def root(node: Hashable) -> Hashable:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # halve the path: later lookups are shorter
            node = parent[node]
        return node

    for a, b in pairs:
        parent[root(a)] = root(b)
    return {node: root(node) for node in list(parent)}


def groups(nodes: Iterable, pairs: Iterable[tuple]) -> list[list]:
    """``nodes`` in groups closed under ``pairs`` (a pair naming any other node is left out),
    each group sorted, the groups in order of their first node."""
    nodes = sorted(set(nodes))
    known = set(nodes)
    rooted = roots(((a, b) for a, b in pairs if a in known and b in known), nodes)
    out: dict = {}
    for node in nodes:
        out.setdefault(rooted[node], []).append(node)
    return sorted(out.values())
