import CLibDNF
import CLibSolv
import Foundation
import GLib
import RPM
import ToolSupport

/// A package chosen by the solver, with where to fetch it and how to check it.
public struct ResolvedPackage: Sendable, Hashable {
    public var name: String
    public var epoch: UInt64
    public var version: String
    public var release: String
    public var arch: String
    /// The repository id (`[fedora]` in a `.repo` file).
    public var repository: String
    /// Path of the RPM relative to the repository's base URL.
    public var location: String
    /// Checksum type as rpm-md names it (`sha256`) and the hex digest of the whole file.
    public var checksumType: String
    public var checksum: String
    public var downloadSize: UInt64

    public init(name: String, epoch: UInt64, version: String, release: String, arch: String, repository: String,
                location: String, checksumType: String, checksum: String, downloadSize: UInt64) {
        self.name = name
        self.epoch = epoch
        self.version = version
        self.release = release
        self.arch = arch
        self.repository = repository
        self.location = location
        self.checksumType = checksumType
        self.checksum = checksum
        self.downloadSize = downloadSize
    }

    /// `name-[epoch:]version-release.arch`.
    public var nevra: String { "\(name)-\(epoch > 0 ? "\(epoch):" : "")\(version)-\(release).\(arch)" }
}

/// Metadata files of one rpm-md repository, as fetched by librepo.
public struct RepositoryMetadataFiles: Sendable {
    public var id: String
    public var repomd: String
    public var primary: String
    public var filelists: String?

    public init(id: String, repomd: String, primary: String, filelists: String?) {
        self.id = id
        self.repomd = repomd
        self.primary = primary
        self.filelists = filelists
    }
}

/// Dependency resolution with libdnf (libsolv underneath): repositories and an installed set
/// in, the complete package set to install out.
public final class PackageSolver {
    private let sack: UnsafeMutablePointer<DnfSack>

    /// A solver for `arch` whose solv caches live in `cacheDirectory`; `installRoot` is the
    /// tree whose rpmdb `loadInstalled()` reads (it must be set before the sack is set up).
    public init(arch: String, cacheDirectory: String, installRoot: String? = nil) throws {
        sack = dnf_sack_new()
        if let installRoot { dnf_sack_set_rootdir(sack, installRoot) }
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        dnf_sack_set_cachedir(sack, cacheDirectory)
        var error: UnsafeMutablePointer<GError>? = nil
        guard dnf_sack_set_arch(sack, arch, &error) != 0 else {
            throw SolverError.loadFailed(Self.message(&error, "setting architecture \(arch)"))
        }
        guard dnf_sack_setup(sack, Int32(DNF_SACK_SETUP_FLAG_MAKE_CACHE_DIR.rawValue), &error) != 0 else {
            throw SolverError.loadFailed(Self.message(&error, "setting up the package solver"))
        }
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(sack)) }

    /// Loads the installed set from the rpmdb of the install root (`/usr/share/rpm` in it).
    ///
    /// Read with libsolv directly: libdnf's own loader re-reads rpm's configuration and so
    /// looks where Debian's rpm keeps its database (`$HOME/.rpmdb`), not inside the tree.
    public func loadInstalled() throws {
        let pool = UnsafeMutablePointer<Pool>(OpaquePointer(dnf_sack_get_pool(sack)))!
        let repo = repo_create(pool, "@System")
        let status = RPMDatabase.whileDatabasePathIsPinned { repo_add_rpmdb(repo, nil, Int32(REPO_USE_ROOTDIR)) }
        guard status == 0 else {
            let message = pool_errstr(pool).map { String(cString: $0) } ?? "unknown error"
            throw SolverError.loadFailed("reading the installed packages: \(message)")
        }
        pool_set_installed(pool, repo)
    }

    /// Adds an rpm-md repository's packages.
    public func addRepository(_ metadata: RepositoryMetadataFiles) throws {
        let repo = hy_repo_create(metadata.id)
        defer { hy_repo_free(repo) }
        hy_repo_set_string(repo, Int32(HY_REPO_MD_FN.rawValue), metadata.repomd)
        hy_repo_set_string(repo, Int32(HY_REPO_PRIMARY_FN.rawValue), metadata.primary)
        var flags = Int32(DNF_SACK_LOAD_FLAG_BUILD_CACHE.rawValue)
        if let filelists = metadata.filelists {
            hy_repo_set_string(repo, Int32(HY_REPO_FILELISTS_FN.rawValue), filelists)
            flags |= Int32(DNF_SACK_LOAD_FLAG_USE_FILELISTS.rawValue)
        }
        var error: UnsafeMutablePointer<GError>? = nil
        guard dnf_sack_load_repo(sack, repo, flags, &error) != 0 else {
            throw SolverError.loadFailed(Self.message(&error, "loading repository '\(metadata.id)'"))
        }
    }

    /// Adds a package that is not in any repository (a file the user gave), known by its
    /// header alone; it then matches its NEVRA in `resolve`, from repository `@commandline`.
    public func addLocalPackage(_ header: RPMHeader, scratchDirectory: String) throws {
        let path = scratchDirectory + "/" + header.nevra + ".rpm"
        try HeaderOnlyPackage.writeFile(header, to: path)
        guard dnf_sack_add_cmdline_package_nochecksum(sack, path) != nil else {
            throw SolverError.loadFailed("\(header.nevra): libdnf could not read the package header")
        }
    }

    /// Resolves `install` (names, provides, `name >= version`, file paths) with everything
    /// they need, never choosing a package named in `exclude`.
    ///
    /// - Parameter weakDependencies: whether `Recommends:` are installed too.
    /// - Parameter verifyInstalled: whether every installed package's requirements must hold
    ///   too (after packages were taken out of the installed set).
    /// - Returns: the packages to install, sorted by name; already installed ones are not listed.
    public func resolve(install: [String], exclude: [String], weakDependencies: Bool = true,
                        verifyInstalled: Bool = false) throws -> [ResolvedPackage] {
        if !exclude.isEmpty { excludePackages(named: exclude) }
        let goal = hy_goal_create(sack)
        defer { hy_goal_free(goal) }
        for spec in install {
            let subject = hy_subject_create(spec)
            defer { hy_subject_free(subject) }
            guard let selector = hy_subject_get_best_selector(subject, sack, nil, false, nil) else {
                throw SolverError.packageNotFound(spec)
            }
            defer { hy_selector_free(selector) }
            let matches = hy_selector_matches(selector)
            let count = matches?.pointee.len ?? 0
            if let matches { g_ptr_array_unref(matches) }
            guard count > 0 else { throw SolverError.packageNotFound(spec) }
            var error: UnsafeMutablePointer<GError>? = nil
            guard hy_goal_install_selector(goal, selector, &error) != 0 else {
                throw SolverError.packageNotFound(Self.message(&error, spec))
            }
        }
        var actions = DNF_INSTALL.rawValue
        if !weakDependencies { actions |= DNF_IGNORE_WEAK_DEPS.rawValue }
        if verifyInstalled { actions |= DNF_VERIFY.rawValue }
        var error: UnsafeMutablePointer<GError>? = nil
        guard dnf_goal_depsolve(goal, DnfGoalActions(actions), &error) != 0 else {
            // libdnf calls a consistent set with nothing to add an error; here it is an answer.
            let failure = GLibError.take(&error)
            if failure.code == Int32(DNF_ERROR_NO_PACKAGES_TO_UPDATE.rawValue) { return [] }
            throw SolverError.unresolvable(Self.flatten(failure.message))
        }
        guard let installs = hy_goal_list_installs(goal, &error) else {
            throw SolverError.unresolvable(Self.message(&error, "listing the resolved packages"))
        }
        defer { g_ptr_array_unref(installs) }
        var result: [ResolvedPackage] = []
        for index in 0..<Int(installs.pointee.len) {
            let package = installs.pointee.pdata[index]!.assumingMemoryBound(to: DnfPackage.self)
            result.append(Self.describe(package))
        }
        return result.sorted { ($0.name, $0.nevra) < ($1.name, $1.nevra) }
    }

    /// A package the solver may only take at one version (a lockfile's entry).
    public struct Lock: Sendable {
        public var name: String
        /// `[epoch:]version-release`, without a zero epoch.
        public var evr: String
        /// nil: any architecture.
        public var arch: String?

        public init(name: String, evr: String, arch: String?) {
            self.name = name
            self.evr = evr
            self.arch = arch
        }
    }

    /// Hides every available package of a locked name but the locked version, so that
    /// `resolve` can only take that one. Returns the locks no available package matches.
    public func lock(_ locks: [Lock]) -> [Lock] {
        let query = hy_query_create(sack)
        defer { hy_query_free(query) }
        let excluded = dnf_packageset_new(sack)
        defer { dnf_packageset_free(excluded) }
        var unmatched: [Lock] = []
        for lock in locks {
            hy_query_clear(query)
            hy_query_filter(query, Int32(HY_PKG_NAME.rawValue), Int32(HY_EQ.rawValue), lock.name)
            var matched = false
            if let packages = hy_query_run(query) {
                for index in 0..<Int(packages.pointee.len) {
                    let package = packages.pointee.pdata[index]!.assumingMemoryBound(to: DnfPackage.self)
                    if dnf_package_installed(package) != 0 { continue }
                    if String(cString: dnf_package_get_evr(package)) == lock.evr
                        && (lock.arch == nil || String(cString: dnf_package_get_arch(package)) == lock.arch) {
                        matched = true
                    } else {
                        dnf_packageset_add(excluded, package)
                    }
                }
                g_ptr_array_unref(packages)
            }
            if !matched { unmatched.append(lock) }
        }
        dnf_sack_add_excludes(sack, excluded)
        return unmatched
    }

    private func excludePackages(named names: [String]) {
        let query = hy_query_create(sack)
        defer { hy_query_free(query) }
        let excluded = dnf_packageset_new(sack)
        defer { dnf_packageset_free(excluded) }
        for name in names {
            hy_query_clear(query)
            hy_query_filter(query, Int32(HY_PKG_NAME.rawValue), Int32(HY_GLOB.rawValue), name)
            guard let packages = hy_query_run(query) else { continue }
            for index in 0..<Int(packages.pointee.len) {
                dnf_packageset_add(excluded, packages.pointee.pdata[index]!.assumingMemoryBound(to: DnfPackage.self))
            }
            g_ptr_array_unref(packages)
        }
        dnf_sack_add_excludes(sack, excluded)
    }

    private static func describe(_ package: UnsafeMutablePointer<DnfPackage>) -> ResolvedPackage {
        var type: Int32 = 0
        let raw = dnf_package_get_chksum(package, &type)
        let checksumName = hy_chksum_name(type).map { String(cString: $0) } ?? "sha256"
        let checksumBytes = raw.map { pointer in
            Array(UnsafeBufferPointer(start: pointer, count: Self.digestLength[checksumName] ?? 32))
        } ?? []
        return ResolvedPackage(
            name: String(cString: dnf_package_get_name(package)),
            epoch: UInt64(dnf_package_get_epoch(package)),
            version: String(cString: dnf_package_get_version(package)),
            release: String(cString: dnf_package_get_release(package)),
            arch: String(cString: dnf_package_get_arch(package)),
            repository: dnf_package_get_reponame(package).map { String(cString: $0) } ?? "",
            location: dnf_package_get_location(package).map { String(cString: $0) } ?? "",
            checksumType: checksumName,
            checksum: Digest.hex(checksumBytes),
            downloadSize: UInt64(dnf_package_get_downloadsize(package)))
    }

    /// Digest sizes in bytes, by rpm-md checksum name.
    private static let digestLength = ["md5": 16, "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64]

    /// libdnf's multi-line problem report on one line.
    private static func flatten(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("The following problems") }
            .joined(separator: "; ")
    }

    private static func message(_ error: inout UnsafeMutablePointer<GError>?, _ context: String) -> String {
        "\(context): \(GLibError.take(&error).message)"
    }
}
