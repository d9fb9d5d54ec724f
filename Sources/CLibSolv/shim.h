#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repodata.h>
#include <solv/solvable.h>
#include <solv/knownid.h>
#include <solv/poolarch.h>
#include <solv/repo_rpmdb.h>
