// libxl's C headers, made usable from C++: they carry no extern "C" of their
// own, and libxl_json.h needs yajl's version header first to pick yajl 2.
// Every file of this backend includes libxl through this header only.
// LIBXL_API_VERSION is set by the build (see CMakeLists.txt).
//
// Thread-safety: declarations only.
#pragma once

#include <yajl/yajl_gen.h>
#include <yajl/yajl_version.h>

extern "C" {
#include <libxl.h>
#include <libxl_event.h>
#include <libxl_json.h>
#include <libxl_utils.h>
#include <libxlutil.h>
#include <xentoollog.h>
}
