"""Each municipality's walkable graph held in memory, for routing without pgRouting.

pgRouting builds its graph from an edge query on every call: a 3 km route in a city read some
66,000 edges and answered 6 times a second. Here the graph of the largest component is read once
per municipality and version into numpy arrays (the device does the same with the pack's graph),
and each route is one compiled Dijkstra (scipy.sparse.csgraph) over a compressed sparse row matrix.

- **Version.** ``road_graph_version.stamp`` is renewed by triggers on every write to road_edge
  and road_edge_hazard (migration 0025): a re-import, or a hazard zone drawn, moved or removed.
  Routes read the stamp in the same statement as their snapping and ask the cache for that stamp;
  a graph is loaded in one repeatable-read transaction with the stamp it was read at, so a copy
  is never used for another version (the caller snaps again when the two differ).
- **Matrices.** Per profile and hazard the weights differ: edges left out (steps for a
  wheelchair, edges in the hazard's zones) are removed from the matrix, and in the least-exposed
  search a metre inside a zone weighs ``EXPOSURE_WEIGHT`` metres. A graph keeps the last
  ``MATRICES`` such matrices. Each has one more row, a virtual start joined to both ends of the
  start's edge by the snapped offsets, so one search serves both ends.
- **Bounds.** The cache holds graphs up to ``CACHE_BYTES`` (least recently used out first); a
  graph of 167,620 edges and 84,100 nodes takes about 9 MB with its arrays and up to 4 × 5 MB
  with its matrices (``WalkGraph.nbytes``). Loads of one key are shared by the requests waiting for them.
- **Concurrency.** A search is synchronous (a few milliseconds, no await inside), and the two
  slots of the virtual start are written and searched under a lock, so neither coroutines nor
  threads see another request's start.
"""

from __future__ import annotations

import asyncio
import math
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

#: In the least-exposed search, a metre inside the zone costs this many metres outside.
EXPOSURE_WEIGHT: Final = 1000.0
#: Matrices (profile × hazard × search) kept per graph.
MATRICES: Final = 4
#: Memory for the graphs of all municipalities, per process.
CACHE_BYTES: Final = 256 * 1024 * 1024

STAMP_SQL = "SELECT stamp FROM road_graph_version WHERE id = 1"
_EDGES = """
SELECT coalesce(array_agg(id ORDER BY id), '{}'), coalesce(array_agg(source ORDER BY id), '{}'),
       coalesce(array_agg(target ORDER BY id), '{}'), coalesce(array_agg(length_m ORDER BY id), '{}'),
       coalesce(array_agg(steps ORDER BY id), '{}')
FROM road_edge WHERE component = 0 AND {where}
"""
_HAZARDS = """
SELECT h.hazard_type, array_agg(h.edge_id), array_agg(h.inside_m)
FROM road_edge_hazard h JOIN road_edge e ON e.id = h.edge_id
WHERE e.component = 0 AND {where}
GROUP BY h.hazard_type
"""

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Weights:
    """Which edges a search may use and what they cost."""

    steps_allowed: bool
    hazard: str | None
    least_exposed: bool


@dataclass
class Matrix:
    """The graph's matrix for one ``Weights``: row i holds the edges leaving node i (both
    directions of every edge kept), ``edge`` the edge index of each entry; the last row is the
    virtual start, whose two entries are written per search."""

    csr: Any  # scipy.sparse.csr_matrix (no annotations)
    edge: NDArray[np.int32]
    components: NDArray[np.int32]

    @property
    def nbytes(self) -> int:
        return int(self.csr.data.nbytes + self.csr.indices.nbytes + self.csr.indptr.nbytes + self.edge.nbytes) + int(
            self.components.nbytes
        )


@dataclass
class Search:
    """Distances from the virtual start (the snapped point) to every node, and the tree."""

    distances: Floats
    predecessors: NDArray[np.int32]
    limit: float
    matrix: Matrix


@dataclass
class WalkGraph:
    stamp: uuid.UUID | None
    edge_ids: Ints  # sorted
    node_ids: Ints  # sorted
    source: NDArray[np.int32]  # node index per edge
    target: NDArray[np.int32]
    length: Floats
    steps: NDArray[np.bool_]
    exposure: dict[str, Floats]  # hazard type → metres inside its zones, per edge
    indptr: NDArray[np.int32]  # both directions of every edge, by node
    indices: NDArray[np.int32]
    entry_edge: NDArray[np.int32]
    _matrices: OrderedDict[Weights, Matrix] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def nodes(self) -> int:
        return len(self.node_ids)

    @property
    def nbytes(self) -> int:
        """What it holds, counting the matrices it may keep (each about the size of the first)."""
        arrays: list[NDArray[Any]] = [self.edge_ids, self.node_ids, self.source, self.target, self.length, self.steps]
        own = sum(a.nbytes for a in arrays) + sum(a.nbytes for a in self.exposure.values())
        own += self.indptr.nbytes + self.indices.nbytes + self.entry_edge.nbytes
        # data (8 bytes), indices and edge (4 each) per entry, the row pointers, a component per node
        matrix = 4 * self.indices.nbytes + self.indptr.nbytes + 4 * self.nodes
        return int(own + MATRICES * matrix)

    def node_index(self, node_id: int) -> int | None:
        i = int(np.searchsorted(self.node_ids, node_id))
        return i if i < len(self.node_ids) and self.node_ids[i] == node_id else None

    def has_edge(self, edge_id: int) -> bool:
        i = int(np.searchsorted(self.edge_ids, edge_id))
        return i < len(self.edge_ids) and int(self.edge_ids[i]) == edge_id

    def matrix(self, weights: Weights) -> Matrix:
        with self._lock:
            found = self._matrices.get(weights)
            if found is not None:
                self._matrices.move_to_end(weights)
                return found
        made = self._make(weights)
        with self._lock:
            self._matrices[weights] = made
            while len(self._matrices) > MATRICES:
                self._matrices.popitem(last=False)
        return made

    def _make(self, weights: Weights) -> Matrix:
        cost = self.length.copy()
        left_out = np.zeros(len(cost), dtype=bool)
        if not weights.steps_allowed:
            left_out |= self.steps
        if weights.hazard is not None:
            inside = self.exposure.get(weights.hazard)
            if inside is not None:
                if weights.least_exposed:
                    cost += EXPOSURE_WEIGHT * inside
                else:
                    left_out |= inside > 0
        keep = ~left_out[self.entry_edge]
        kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        n = self.nodes
        indptr = kept_before[self.indptr].astype(np.int32)
        total = int(indptr[-1])
        indices = np.empty(total + 2, dtype=np.int32)
        indices[:total] = self.indices[keep]
        indices[total:] = 0
        edge = self.entry_edge[keep]
        data = np.empty(total + 2, dtype=np.float64)
        data[:total] = cost[edge]
        data[total:] = 0.0
        plain = csr_matrix((data[:total], indices[:total], indptr), shape=(n, n))
        _, labels = connected_components(plain, directed=False)
        with_start = csr_matrix((data, indices, np.append(indptr, np.int32(total + 2))), shape=(n + 1, n + 1))
        return Matrix(with_start, edge.astype(np.int32), labels.astype(np.int32))

    def joined(self, weights: Weights, starts: dict[int, float], ends: list[int]) -> bool:
        """Whether any of ``ends`` (node ids) can be reached from a node of ``starts`` at all."""
        labels = self.matrix(weights).components
        have = {int(labels[i]) for i in (self.node_index(s) for s in starts) if i is not None}
        return any(i is not None and int(labels[i]) in have for i in (self.node_index(e) for e in ends))

    def search(self, weights: Weights, starts: dict[int, float], limit: float = np.inf) -> Search:
        """Dijkstra from the point ``starts`` (node id → metres to it) describes, up to ``limit``."""
        matrix = self.matrix(weights)
        slots = [(i, cost) for i, cost in ((self.node_index(s), c) for s, c in starts.items()) if i is not None]
        if not slots:
            raise KeyError("the start is not in the graph")
        slots = (slots * 2)[:2]
        with self._lock:
            matrix.csr.indices[-2:] = [slots[0][0], slots[1][0]]
            matrix.csr.data[-2:] = [slots[0][1], slots[1][1]]
            distances, predecessors = dijkstra(
                matrix.csr, directed=True, indices=self.nodes, return_predecessors=True, limit=limit
            )
        return Search(distances, predecessors, limit, matrix)

    def distance(self, search: Search, node_id: int) -> float:
        """Metres from the start to ``node_id`` (infinite: not reached within the search's limit)."""
        i = self.node_index(node_id)
        return math.inf if i is None else float(search.distances[i])

    def path(self, search: Search, node_id: int) -> tuple[int, list[tuple[int, int]]]:
        """(first node id, [(edge id, node id it is entered from), …]) from the start to a
        reached ``node_id``."""
        i = self.node_index(node_id)
        if i is None or not np.isfinite(search.distances[i]):
            raise KeyError(node_id)
        nodes = [i]
        predecessors = search.predecessors
        while (before := int(predecessors[nodes[-1]])) != self.nodes:
            nodes.append(before)
        walk = np.asarray(nodes[::-1], dtype=np.int64)
        if len(walk) < 2:
            return int(self.node_ids[walk[0]]), []
        # Every entry of each step's row (vectorised: a walk has a few hundred steps), those to the
        # step's next node, and of two edges between the same nodes the cheaper (the search's).
        csr = search.matrix.csr
        rows, following = walk[:-1], walk[1:]
        starts = csr.indptr[rows].astype(np.int64)
        counts = csr.indptr[rows + 1].astype(np.int64) - starts
        step = np.repeat(np.arange(len(rows)), counts)
        entry = np.repeat(starts, counts) + np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        onward = csr.indices[entry] == following[step]
        entry, step = entry[onward], step[onward]
        order = np.lexsort((csr.data[entry], step))
        entry, step = entry[order], step[order]
        chosen = entry[np.concatenate([[True], step[1:] != step[:-1]])]
        edges = self.edge_ids[search.matrix.edge[chosen]]
        return int(self.node_ids[walk[0]]), list(zip(edges.tolist(), self.node_ids[rows].tolist(), strict=True))


def build(
    stamp: uuid.UUID | None, columns: list[list[Any]], hazards: list[tuple[str, list[int], list[float]]]
) -> WalkGraph:
    """The graph from the edges' columns (ids sorted, sources, targets, metres, steps)."""
    ids = np.asarray(columns[0], dtype=np.int64)
    ends = np.concatenate([np.asarray(columns[1], dtype=np.int64), np.asarray(columns[2], dtype=np.int64)])
    node_ids, inverse = np.unique(ends, return_inverse=True)
    count = len(ids)
    source = inverse[:count].astype(np.int32)
    target = inverse[count:].astype(np.int32)
    rows = np.concatenate([source, target])
    order = np.argsort(rows, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(node_ids)))]).astype(np.int32)
    indices = np.concatenate([target, source])[order].astype(np.int32)
    entry_edge = np.concatenate([np.arange(count, dtype=np.int32)] * 2)[order]
    exposure: dict[str, Floats] = {}
    for hazard, edge_ids, inside in hazards:
        metres = np.zeros(count, dtype=np.float64)
        metres[np.searchsorted(ids, np.asarray(edge_ids, dtype=np.int64))] = np.asarray(inside, dtype=np.float64)
        exposure[hazard] = metres
    return WalkGraph(
        stamp,
        ids,
        node_ids.astype(np.int64),
        source,
        target,
        np.asarray(columns[3], dtype=np.float64),
        np.asarray(columns[4], dtype=bool),
        exposure,
        indptr,
        indices,
        entry_edge,
    )


async def load(pool: asyncpg.Pool, municipality: uuid.UUID | None) -> WalkGraph:
    """The municipality's graph (roads of no municipality for None) and the stamp it is current for."""
    where, args = ("e.municipality_id = $1", [municipality]) if municipality else ("e.municipality_id IS NULL", [])
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        stamp = await connection.fetchval(STAMP_SQL)
        # Our own text: a column condition chosen above, the value passed as a parameter.
        columns = await connection.fetchrow(_EDGES.replace("{where}", where.replace("e.", "")), *args)
        hazards = await connection.fetch(_HAZARDS.replace("{where}", where), *args)
    return await asyncio.to_thread(build, stamp, list(columns), [(r[0], r[1], r[2]) for r in hazards])


Key = tuple[uuid.UUID | None, uuid.UUID | None]


class GraphCache:
    """Graphs by (municipality, stamp), least recently used out first beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._graphs: OrderedDict[Key, WalkGraph] = OrderedDict()
        self._loading: dict[Key, asyncio.Future[WalkGraph]] = {}
        self.loads = 0

    @property
    def nbytes(self) -> int:
        return sum(g.nbytes for g in self._graphs.values())

    def __len__(self) -> int:
        return len(self._graphs)

    async def get(self, pool: asyncpg.Pool, municipality: uuid.UUID | None, stamp: uuid.UUID | None) -> WalkGraph:
        """The graph for ``stamp``, or the current one when the roads changed since: the caller
        compares the stamps."""
        key = (municipality, stamp)
        graph = self._graphs.get(key)
        if graph is not None:
            self._graphs.move_to_end(key)
            return graph
        pending = self._loading.get(key)
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            pending = asyncio.ensure_future(self._load(pool, municipality, key))
            self._loading[key] = pending
        return await asyncio.shield(pending)

    async def _load(self, pool: asyncpg.Pool, municipality: uuid.UUID | None, key: Key) -> WalkGraph:
        try:
            graph = await load(pool, municipality)
            self.loads += 1
        finally:
            self._loading.pop(key, None)
        # The stamp is one for all municipalities: a graph of another stamp is never asked for again.
        for old in [k for k in self._graphs if k[1] != graph.stamp]:
            del self._graphs[old]
        self._graphs[(municipality, graph.stamp)] = graph
        while len(self._graphs) > 1 and self.nbytes > self.max_bytes:
            self._graphs.popitem(last=False)
        return graph


#: This process's graphs (each worker process has its own).
CACHE = GraphCache()
