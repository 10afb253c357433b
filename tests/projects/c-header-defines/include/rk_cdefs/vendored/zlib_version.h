/* A vendored library's own version: not the project's. */
#define ZLIB_VERSION_MAJOR 2
#define ZLIB_VERSION_MINOR 0
#define ZLIB_VERSION_PATCH 1
