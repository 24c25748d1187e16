/* Status strings and version: the one table in dedup.h, rendered as text. */
#include <dedup/dedup.h>

#include <utf8proc.h>

const char *dd_strerror(dd_status st)
{
    switch (st) {
#define DD_STATUS_CASE(name, msg)                                                                  \
    case DD_##name:                                                                                \
        return msg;
        DD_STATUS_MAP(DD_STATUS_CASE)
#undef DD_STATUS_CASE
    }
    return "unknown status";
}

const char *dd_version(void)
{
    return DD_VERSION_STRING;
}

const char *dd_unicode_version(void)
{
    return utf8proc_unicode_version();
}
