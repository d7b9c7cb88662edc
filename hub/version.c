/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "macros.h"
#include "processhub.h"

_public_ const char *ph_version(void) {
        return PROCESSHUB_VERSION;
}
