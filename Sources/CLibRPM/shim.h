#include <rpm/rpmlib.h>
#include <rpm/rpmts.h>
#include <rpm/rpmte.h>
#include <rpm/rpmdb.h>
#include <rpm/header.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmtd.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmio.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmds.h>
#include <rpm/rpmps.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmpgp.h>

/* rpmSetVerbosity is a macro. */
static inline void harness_rpm_set_verbosity(int level) {
    rpmlogSetMask(RPMLOG_UPTO(RPMLOG_PRI(level)));
}

/* rpmExpand is variadic (NULL-terminated). */
static inline char *harness_rpm_expand(const char *macro) {
    return rpmExpand(macro, NULL);
}
