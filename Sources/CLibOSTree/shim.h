#include <ostree.h>
#include <gio/gio.h>

/* Type macros and variadic GLib calls, wrapped with fixed signatures for Swift. */

static inline const GVariantType *harness_variant_type(const char *type_string) {
    return G_VARIANT_TYPE(type_string);
}

static inline GVariant *harness_variant_new_bytes(const void *data, gsize size) {
    return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, size, 1);
}

static inline GVariant *harness_variant_new_string_array(const char *const *strv, gssize length) {
    return g_variant_new_strv(strv, length);
}

static inline GVariant *harness_commit_get_metadata(GVariant *commit) {
    return g_variant_get_child_value(commit, 0);
}

static inline guint64 harness_commit_get_timestamp(GVariant *commit) {
    return ostree_commit_get_timestamp(commit);
}

static inline GVariantDict *harness_variant_dict_new(GVariant *from) {
    return g_variant_dict_new(from);
}
