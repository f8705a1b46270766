#include "modes/mode.h"

#include <string.h>

const char *sbx_mode_name(enum sbx_mode_kind kind)
{
    switch (kind) {
    case SBX_MODE_UNELEVATED: return "unelevated";
    case SBX_MODE_ELEVATED: return "elevated";
    default: return "none";
    }
}

int sbx_mode_parse(const char *s, bool allow_auto, enum sbx_mode_kind *out,
                   struct sbx_error *err)
{
    if (s && strcmp(s, "unelevated") == 0)
        *out = SBX_MODE_UNELEVATED;
    else if (s && strcmp(s, "elevated") == 0)
        *out = SBX_MODE_ELEVATED;
    else if (s && allow_auto && strcmp(s, "auto") == 0)
        *out = SBX_MODE_NONE;
    else
        return sbx_err_set(err, SBX_EINVAL, "unknown mode '%s': expected %sunelevated or elevated",
                           s ? s : "", allow_auto ? "auto, " : "");
    return 0;
}
