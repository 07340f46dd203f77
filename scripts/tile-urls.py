"""Tile URLs of a set over a lon/lat box at zooms ZMIN..ZMAX, shuffled with a fixed seed: the
requests the load scripts replay.
    python3 scripts/tile-urls.py SET WEST SOUTH EAST NORTH [ZMIN ZMAX]"""
import math
import random
import sys


def tile(lon, lat, z):
    k = 2**z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * k)
    return x, y


def main(tile_set, west, south, east, north, zmin="10", zmax="16"):
    w, s, e, n = map(float, (west, south, east, north))
    urls = []
    for z in range(int(zmin), int(zmax) + 1):
        (x0, y0), (x1, y1) = tile(w, n, z), tile(e, s, z)
        urls += [f"/tiles/{tile_set}/{z}/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    random.Random(7).shuffle(urls)
    print("\n".join(urls))


if __name__ == "__main__":
    main(*sys.argv[1:])
