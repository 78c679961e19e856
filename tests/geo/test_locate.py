import numpy as np
import pytest

from chengyun.geo import services
from chengyun.standards import coords

from support import DIVISION, grid_center

pytestmark = pytest.mark.django_db


def test_locate_centre_of_each_grid(district):
    from chengyun.geo.models import Grid

    for g in Grid.objects.all():
        lng, lat = grid_center(g.code)
        loc = services.locate(lng, lat)
        assert loc.grid.code == g.code
        assert loc.grid.community_code == g.community.code
        assert loc.grid.street_code == g.street.code
