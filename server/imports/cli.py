"""``bosai import``: open data files, folders and zip archives into the database, one summary line
per file."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from geo.codes import InvalidCodeError
from geo.codes import normalize as normalize_code
from geo.importers.areas import AREA_FORMATS
from geo.importers.base import ImportFailure, Options, parse_columns
from geo.importers.facilities import FORMATS, LIST_FORMAT
from geo.kinds import FACILITY_KINDS, ZONE_TYPES
from server.db.cli import ready_settings
from server.db.engine import create_engine
from server.imports.service import FileSummary, import_staged
from server.imports.sources import Staged, stage_paths
from server.lib.cli import friendly_errors, run
from server.lib.errors import BosaiError
from server.roads.service import Bbox, RoadImport, import_roads, is_osm


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(sorted([*FORMATS, LIST_FORMAT, *AREA_FORMATS])),
    help="Read every file as this format instead of detecting it from its columns. "
    "boundary: a municipality's own boundary (polygons or boundary lines, any coordinate system "
    "with a .prj), with --municipality.",
)
@click.option(
    "--municipality",
    metavar="CODE",
    help="Municipality code (e.g. 022012) for files that say it nowhere (row, 共通ID, file name); "
    "the town a --format boundary file draws.",
)
@click.option(
    "--kind",
    type=click.Choice(FACILITY_KINDS),
    help="Read a CSV as a municipality's list of this kind of place (format facility_list): the common "
    "layout (NO, 市区町村コード, 名称, 名称_カナ, 住所, 方書, 緯度, 経度, 電話番号, 区分, 備考) or any CSV "
    "with a name and coordinates (名称/施設名/施設名称, 緯度/経度, lat/lon, Y/X). Every other column is "
    "kept as an attribute.",
)
@click.option(
    "--columns",
    metavar="ROLE=COLUMN,…",
    help="With --kind, where the headers are unusual: which column holds what, e.g. "
    "name=避難所名称,lat=北緯,lon=東経 (roles: name, lat, lon, id, kana, address, address_extra, "
    "municipality, capacity).",
)
@click.option(
    "--hazard",
    type=click.Choice(ZONE_TYPES),
    help="Hazard type of a hazard-zone file of no national format (a municipality's own map); "
    "flood_history: past inundation (浸水履歴, 過去の浸水実績), each area with its date.",
)
@click.option(
    "--rank-attribute",
    metavar="COLUMN",
    help='With --hazard: the property holding the rank or depth text (e.g. "0.3m未満の区域").',
)
@click.option(
    "--date-attribute",
    metavar="COLUMN",
    help="With --hazard flood_history: the property holding each area's date or year (found by itself "
    "when it is called e.g. 浸水年月日, 発生年月日, 年月日, 日付, 年).",
)
@click.option(
    "--bbox",
    metavar="W,S,E,N",
    help="OpenStreetMap extracts: clip the roads to this box (lon/lat), alone or within --municipality.",
)
@friendly_errors
def import_command(
    paths: tuple[Path, ...],
    format_: str | None,
    municipality: str | None,
    kind: str | None,
    columns: str | None,
    hazard: str | None,
    rank_attribute: str | None,
    date_attribute: str | None,
    bbox: str | None,
) -> None:
    """Import open data: GSI shelters and emergency sites (CSV, GeoJSON); standard data 03, 08
    and 10 (CSV); a municipality's own facility lists (CSV, with --kind); 国土数値情報 N03
    boundaries and a municipality's own boundary (--format boundary --municipality CODE); A31a/A31/
    A33/A40 hazard zones (GeoJSON or Shapefile); other hazard-zone files and past inundation with
    --hazard; Bosai's own GeoJSON (fixtures/demo/). Accepts files, folders and zip archives.
    OpenStreetMap extracts (.osm.pbf, .osm): the walkable roads inside --municipality's boundary
    and/or --bbox replace that municipality's roads.

    \b
    Examples:
      bosai import 避難所.csv 緊急避難場所.csv
      bosai import tsunami_buildings.csv --kind tsunami_building
      bosai import list.csv --kind public_facility --municipality 022012 --columns name=施設,lat=北緯,lon=東経
      bosai import city_boundary.shp --format boundary --municipality 022012
      bosai import shinsui_rireki.shp --hazard flood_history --municipality 022012
      bosai import aomori.osm.pbf --municipality 022012

    Each file is all or nothing; errors name the file, line and column. The summary says which
    columns were used. The command exits 1 if any file failed, after importing the good ones."""
    roads = [p for p in paths if is_osm(p)]
    if roads:
        if len(roads) != len(paths):
            raise click.UsageError("import OpenStreetMap extracts apart from other files")
        _import_roads(roads, municipality, _bbox(bbox))
        return
    if bbox:
        raise click.UsageError("--bbox applies to OpenStreetMap extracts only")
    if rank_attribute and not hazard:
        raise click.UsageError("--rank-attribute needs --hazard")
    if date_attribute and hazard != "flood_history":
        raise click.UsageError("--date-attribute needs --hazard flood_history")
    if columns and not kind:
        raise click.UsageError("--columns needs --kind")
    try:
        pairs = parse_columns(columns)
    except ValueError as exc:
        raise click.UsageError(f"--columns: {exc}") from None
    options = Options(format_, municipality, hazard, rank_attribute, kind, pairs, date_attribute)
    settings = ready_settings()
    # Zip archives are unpacked to disk within the same bounds as uploads; files are read one at a time.
    folder = tempfile.TemporaryDirectory(prefix="bosai-import-")
    try:
        sources = stage_paths(paths, Path(folder.name), settings.imports)
    except BosaiError as exc:
        folder.cleanup()
        raise click.ClickException(exc.detail) from exc
    engine = create_engine(settings.database)

    async def run_all() -> list[FileSummary]:
        results = []
        sizes = {s.name: s.size for s in sources}
        total = sum(sizes.values())
        shown = sys.stderr.isatty() and (len(sources) > 1 or total > 1_000_000)
        try:
            with click.progressbar(
                length=total,
                label="importing",
                file=sys.stderr,
                hidden=not shown,
                item_show_func=_shown_name,
            ) as bar:
                for source in sources:
                    done = 0

                    def advance(fraction: float, source: Staged = source) -> None:
                        nonlocal done
                        step = int(fraction * sizes[source.name]) - done
                        done += step
                        bar.update(step, source.name)

                    results.append(
                        await import_staged(engine, source, options, advance, max_rows=settings.imports.max_rows)
                    )
                    advance(1.0)
        finally:
            await engine.dispose()
        return results

    try:
        summaries = run(run_all())
    finally:
        folder.cleanup()
    print_summaries(summaries)
    failed = [s.file for s in summaries if not s.ok]
    if failed:
        click.echo(f"{len(failed)} of {len(summaries)} files failed and were not imported: {', '.join(failed)}")
        sys.exit(1)


def _bbox(raw: str | None) -> Bbox | None:
    if not raw:
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        raise click.BadParameter("four numbers W,S,E,N (lon/lat)", param_hint="--bbox") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise click.BadParameter("west < east within ±180 and south < north within ±90", param_hint="--bbox")
    return west, south, east, north


def _import_roads(paths: list[Path], municipality: str | None, bbox: Bbox | None) -> None:
    try:
        code = normalize_code(municipality) if municipality else None
    except InvalidCodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--municipality") from None
    settings = ready_settings()
    engine = create_engine(settings.database)

    async def run_all() -> list[RoadImport]:
        try:
            return [await import_roads(engine, path, code, bbox) for path in paths]
        finally:
            await engine.dispose()

    try:
        done = run(run_all())
    except BosaiError as exc:
        raise click.ClickException(exc.detail) from exc
    for result in done:
        print_road_import(result)


def print_road_import(result: RoadImport) -> None:
    """What a roads import made (``bosai import`` and ``bosai demo``)."""
    where = result.municipality or "no municipality (bbox)"
    click.echo(
        f"{result.file}: roads of {where}: {result.ways_read} ways read, {result.edges} edges and "
        f"{result.nodes} nodes made, {result.largest_share:.1%} of edges in the largest connected component"
        + (f" (replaced {result.replaced_edges} edges)" if result.replaced_edges else "")
    )


def _shown_name(name: str | None) -> str | None:
    return _short(name, 30) if name else None


def print_summaries(summaries: list[FileSummary]) -> None:
    """One line per imported file and its first errors (``bosai import`` and ``bosai demo``)."""
    click.echo(f"{'file':40} {'format':24} {'read':>6} {'created':>8} {'updated':>8} {'withdrawn':>9} {'rejected':>8}")
    for s in summaries:
        counts = f"{s.read:6} {s.created:8} {s.updated:8} {s.withdrawn:9} {s.rejected:8}"
        click.echo(f"{_short(s.file, 40):40} {(s.format or '?'):24} {counts}")
        for error in s.errors[:20]:
            click.echo(f"  error: {ImportFailure(**error)}")
        if len(s.errors) > 20:
            click.echo(f"  … and {len(s.errors) - 20} more errors (all are kept in import_run {s.run_id})")
        for source_id in s.outside_boundary:
            click.echo(f"  outside its municipality's boundary: {source_id}")
        for note in s.notes:
            click.echo(f"  note: {note}")
