"""Photos of cases are checked by the platform's one image validator (chengyun.core.uploads)."""
from chengyun.core.uploads import FORMATS, MAX_PIXELS, ImageInfo, ImageRejected, check_image, read_gps  # noqa: F401
