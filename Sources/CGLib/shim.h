#include <glib.h>
#include <gio/gio.h>

/* G_IO_ERROR is a macro calling a function: a fixed-signature wrapper for Swift. */
static inline GQuark harness_io_error_quark(void) {
    return G_IO_ERROR;
}
