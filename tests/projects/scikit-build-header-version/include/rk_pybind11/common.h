#pragma once

// Similar to Python's convention: https://docs.python.org/3/c-api/apiabiversion.html
/* -- start version constants -- */
#define RK_PYBIND11_VERSION_MAJOR 1
#define RK_PYBIND11_VERSION_MINOR 2
#define RK_PYBIND11_VERSION_MICRO 3
// ALPHA = 0xA, BETA = 0xB, GAMMA = 0xC (release candidate), FINAL = 0xF (stable release)
#define RK_PYBIND11_VERSION_RELEASE_LEVEL PY_RELEASE_LEVEL_FINAL
#define RK_PYBIND11_VERSION_RELEASE_SERIAL 0
// String version of (micro, release level, release serial), e.g.: 0a0, 0b1, 0rc1, 0
#define RK_PYBIND11_VERSION_PATCH 3
/* -- end version constants -- */

#if !defined(Py_PACK_FULL_VERSION)
#    define Py_PACK_FULL_VERSION(X, Y, Z, LEVEL, SERIAL)                                          \
        ((((X) & 0xff) << 24) | (((Y) & 0xff) << 16) | (((Z) & 0xff) << 8)                        \
         | (((LEVEL) & 0xf) << 4) | (((SERIAL) & 0xf) << 0))
#endif
// Version as a single 4-byte hex number, e.g. 0x030C04B5 == 3.12.4b5.
#define RK_PYBIND11_VERSION_HEX                                                                   \
    Py_PACK_FULL_VERSION(RK_PYBIND11_VERSION_MAJOR,                                               \
                         RK_PYBIND11_VERSION_MINOR,                                               \
                         RK_PYBIND11_VERSION_MICRO,                                               \
                         RK_PYBIND11_VERSION_RELEASE_LEVEL,                                       \
                         RK_PYBIND11_VERSION_RELEASE_SERIAL)
