#pragma once
namespace rk_cdefs {
#define CDEFS_VERSION_MAJOR 1
#define CDEFS_VERSION_MINOR 2
#define CDEFS_VERSION_MICRO 3
}
