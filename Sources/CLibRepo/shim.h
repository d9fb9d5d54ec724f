#include <librepo/librepo.h>

/* lr_handle_setopt, lr_handle_getinfo and lr_result_getinfo are variadic: fixed-signature wrappers for Swift. */

static inline gboolean harness_lr_set_long(LrHandle *handle, GError **error, LrHandleOption option, long value) {
    return lr_handle_setopt(handle, error, option, value);
}

static inline gboolean harness_lr_set_string(LrHandle *handle, GError **error, LrHandleOption option, const char *value) {
    return lr_handle_setopt(handle, error, option, value);
}

static inline gboolean harness_lr_set_strings(LrHandle *handle, GError **error, LrHandleOption option, char **value) {
    return lr_handle_setopt(handle, error, option, value);
}

static inline gboolean harness_lr_get_yum_repo(LrResult *result, GError **error, LrYumRepo **out) {
    return lr_result_getinfo(result, error, LRR_YUM_REPO, out);
}

static inline gboolean harness_lr_get_mirrors(LrHandle *handle, GError **error, char ***out) {
    return lr_handle_getinfo(handle, error, LRI_MIRRORS, out);
}
