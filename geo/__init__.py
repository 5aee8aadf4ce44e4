"""Pure geospatial and open-data code: codes, importers, tiles, packs. Never imports ``server``."""
