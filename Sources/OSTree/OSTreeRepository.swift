import CLibOSTree
import Foundation

/// An OSTree repository: content-addressed objects, refs, commits, checkouts.
///
/// Owns its `OstreeRepo`; use it from one task at a time.
public final class OSTreeRepository {
    /// The repository's storage mode (`ostree init --mode`).
    public enum Mode: String, Sendable {
        /// Files stored as themselves with real ownership and xattrs; checkouts can hard-link.
        case bare
        /// Files owned by the caller, real metadata in an xattr.
        case bareUser = "bare-user"
        /// Compressed objects, for serving over HTTP.
        case archive

        var cValue: OstreeRepoMode {
            switch self {
            case .bare: OSTREE_REPO_MODE_BARE
            case .bareUser: OSTREE_REPO_MODE_BARE_USER
            case .archive: OSTREE_REPO_MODE_ARCHIVE
            }
        }
    }

    let handle: OpaquePointer
    /// The repository directory.
    public let path: String

    /// Takes over a reference libostree handed out (a sysroot's repository; transfer full).
    init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    /// Opens an existing repository.
    public static func open(at path: String) throws -> OSTreeRepository {
        let file = g_file_new_for_path(path)
        defer { g_object_unref(UnsafeMutableRawPointer(file)) }
        let repo = ostree_repo_new(file)!
        let result = OSTreeRepository(handle: repo, path: path)
        try gcall("opening OSTree repository \(path)") { ostree_repo_open(repo, nil, $0) }
        return result
    }

    /// Opens the repository at `path`, creating it with `mode` if the directory has none.
    public static func openOrCreate(at path: String, mode: Mode) throws -> OSTreeRepository {
        if FileManager.default.fileExists(atPath: path + "/config") {
            return try open(at: path)
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let file = g_file_new_for_path(path)
        defer { g_object_unref(UnsafeMutableRawPointer(file)) }
        let repo = ostree_repo_new(file)!
        let result = OSTreeRepository(handle: repo, path: path)
        try gcall("creating OSTree repository \(path)") { ostree_repo_create(repo, mode.cValue, nil, $0) }
        return result
    }

    /// The repository's mode.
    public var mode: Mode {
        switch ostree_repo_get_mode(handle) {
        case OSTREE_REPO_MODE_BARE: .bare
        case OSTREE_REPO_MODE_ARCHIVE: .archive
        default: .bareUser
        }
    }

    /// Turns off fsync: for caches whose loss only costs time.
    public func disableFsync() {
        ostree_repo_set_disable_fsync(handle, 1)
    }

    /// The commit a ref points at, or nil when the ref does not exist.
    public func resolve(_ refOrChecksum: String) throws -> String? {
        var out: UnsafeMutablePointer<CChar>? = nil
        try gcall("resolving \(refOrChecksum) in \(path)") {
            ostree_repo_resolve_rev(handle, refOrChecksum, 1, &out, $0)
        }
        guard let out else { return nil }
        defer { g_free(out) }
        return String(cString: out)
    }

    /// All refs under `prefix` (e.g. `harness/pkg`), mapped to their commits.
    public func refs(prefix: String? = nil) throws -> [String: String] {
        var table: OpaquePointer? = nil
        try gcall("listing refs in \(path)") {
            ostree_repo_list_refs_ext(handle, prefix, &table, OSTREE_REPO_LIST_REFS_EXT_NONE, nil, $0)
        }
        guard let table else { return [:] }
        defer { g_hash_table_unref(table) }
        var result: [String: String] = [:]
        var iter = GHashTableIter()
        g_hash_table_iter_init(&iter, table)
        var key: gpointer? = nil, value: gpointer? = nil
        while g_hash_table_iter_next(&iter, &key, &value) != 0 {
            let name = String(cString: key!.assumingMemoryBound(to: CChar.self))
            result[name] = String(cString: value!.assumingMemoryBound(to: CChar.self))
        }
        return result
    }

    /// Whether the commit object is in this repository.
    public func hasCommit(_ checksum: String) -> Bool {
        var exists: gboolean = 0
        let ok = ostree_repo_has_object(handle, OSTREE_OBJECT_TYPE_COMMIT, checksum, &exists, nil, nil)
        return ok != 0 && exists != 0
    }

    /// A commit's metadata, parent, subject and time.
    public func commit(_ checksum: String) throws -> CommitInfo {
        var variant: OpaquePointer? = nil
        try gcall("loading commit \(checksum) from \(path)") {
            ostree_repo_load_variant(handle, OSTREE_OBJECT_TYPE_COMMIT, checksum, &variant, $0)
        }
        defer { g_variant_unref(variant) }
        let metadataVariant = harness_commit_get_metadata(variant)!
        defer { g_variant_unref(metadataVariant) }
        let parent = ostree_commit_get_parent(variant).map { p in defer { g_free(p) }; return String(cString: p) }
        var subject: UnsafePointer<CChar>? = nil
        let subjectVariant = g_variant_get_child_value(variant, 3)!
        subject = g_variant_get_string(subjectVariant, nil)
        let subjectString = subject.map { String(cString: $0) } ?? ""
        g_variant_unref(subjectVariant)
        return CommitInfo(checksum: checksum,
                          metadata: MetadataValue.readDictionary(metadataVariant),
                          parent: parent,
                          subject: subjectString,
                          timestamp: UInt64(harness_commit_get_timestamp(variant)))
    }

    /// Runs `body` inside a repository transaction: committed when `body` returns, aborted
    /// (no ref moves) when it throws.
    public func withTransaction<R>(_ body: (Transaction) throws -> R) throws -> R {
        try gcall("starting a transaction in \(path)") { ostree_repo_prepare_transaction(handle, nil, nil, $0) }
        let transaction = Transaction(repository: self)
        do {
            let result = try body(transaction)
            try gcall("committing the transaction in \(path)") {
                ostree_repo_commit_transaction(handle, nil, nil, $0)
            }
            return result
        } catch {
            ostree_repo_abort_transaction(handle, nil, nil)
            throw error
        }
    }

    /// Copies the commits (and all objects they reach) from `source` into this repository,
    /// as `ostree pull-local` does; objects already present are skipped.
    public func pullLocal(from source: OSTreeRepository, commits: [String]) throws {
        try pull(url: "file://" + source.path, options: [
            "refs": .strings(commits), "gpg-verify": .bool(false), "disable-static-deltas": .bool(true),
        ], describing: "copying \(commits.joined(separator: ", ")) from \(source.path) into \(path)")
    }

    /// What to fetch from a remote.
    public struct PullRequest: Sendable {
        /// The remote's branch, e.g. `harness/x86_64/debian-bookworm`.
        public var ref: String
        /// A commit of that branch's history to fetch instead of its head.
        public var commit: String?
        /// Only the commit objects (metadata, for `upgrade --check` and version look-ups).
        public var commitOnly = false
        /// How many parent commits to fetch too (-1: the whole history).
        public var depth: Int32 = 0

        public init(ref: String, commit: String? = nil, commitOnly: Bool = false, depth: Int32 = 0) {
            self.ref = ref
            self.commit = commit
            self.commitOnly = commitOnly
            self.depth = depth
        }
    }

    /// What a pull moved over the wire.
    public struct PullStatistics: Sendable, Equatable {
        /// Bytes fetched (compressed objects, delta parts, metadata).
        public var bytesTransferred: UInt64
        /// Objects fetched one by one.
        public var objectsFetched: Int
        /// Parts of static deltas fetched: more than zero when the pull went through a delta.
        public var deltaPartsFetched: Int

        public var usedStaticDelta: Bool { deltaPartsFetched > 0 }
    }

    /// Pulls from the configured remote `remote` (its URL, and its `gpg-verify` and
    /// `sign-verify` settings: an unsigned or badly signed commit fails the pull), moving the
    /// remote ref `remote:ref` to the fetched head. Uses a static delta when the remote's
    /// summary lists one from a commit this repository has.
    @discardableResult
    public func pull(remote: String, _ request: PullRequest) throws -> PullStatistics {
        var options: [String: MetadataValue] = ["refs": .strings([request.ref]), "depth": .int32(request.depth)]
        if let commit = request.commit { options["override-commit-ids"] = .strings([commit]) }
        if request.commitOnly { options["flags"] = .int32(Int32(OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY.rawValue)) }
        return try pull(url: remote, options: options, describing: "pulling \(request.ref) from remote '\(remote)'")
    }

    /// `ostree_repo_pull_with_options` from a remote name or a URL, iterating a main context
    /// of its own. Without one, libostree iterates GLib's global default context, which
    /// libvirt's event loop (harness run's machines) iterates too from its own thread: the
    /// two steal each other's events and the pull waits forever.
    @discardableResult
    func pull(url remoteOrURL: String, options: [String: MetadataValue], describing operation: String) throws -> PullStatistics {
        let variant = g_variant_ref_sink(MetadataValue.makeDictionary(options))
        defer { g_variant_unref(variant) }
        let context = g_main_context_new()
        g_main_context_push_thread_default(context)
        defer {
            g_main_context_pop_thread_default(context)
            g_main_context_unref(context)
        }
        let progress = ostree_async_progress_new()
        defer { g_object_unref(UnsafeMutableRawPointer(progress)) }
        try gcall(operation) { ostree_repo_pull_with_options(handle, remoteOrURL, variant, progress, nil, $0) }
        return PullStatistics(bytesTransferred: UInt64(ostree_async_progress_get_uint64(progress, "bytes-transferred")),
                              objectsFetched: Int(ostree_async_progress_get_uint(progress, "fetched")),
                              deltaPartsFetched: Int(ostree_async_progress_get_uint(progress, "fetched-delta-parts")))
    }

    /// The names of the configured remotes.
    public func remotes() -> [String] {
        var count: guint = 0
        guard let names = ostree_repo_remote_list(handle, &count) else { return [] }
        defer { g_strfreev(names) }
        return (0..<Int(count)).map { String(cString: names[$0]!) }
    }

    /// Points `ref` at `commit` at once (outside a transaction), or deletes it when nil.
    public func setRefImmediately(_ ref: String, to commit: String?) throws {
        try gcall("setting ref \(ref) in \(path)") { ostree_repo_set_ref_immediate(handle, nil, ref, commit, nil, $0) }
    }

    /// Checks a commit out into `destination` (which must not exist yet, unless overwriting).
    public func checkout(_ commit: String, to destination: String, options: CheckoutOptions = CheckoutOptions()) throws {
        try checkout(commit, directory: AT_FDCWD, path: destination, options: options)
    }

    /// Checks a commit out as `path` relative to the open directory `directory` (`.` for the
    /// directory itself).
    public func checkout(_ commit: String, directory: Int32, path: String = ".",
                         options: CheckoutOptions = CheckoutOptions()) throws {
        var opts = OstreeRepoCheckoutAtOptions()
        opts.mode = options.userMode ? OSTREE_REPO_CHECKOUT_MODE_USER : OSTREE_REPO_CHECKOUT_MODE_NONE
        switch options.overwrite {
        case .none: opts.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_NONE
        case .replaceFiles: opts.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_UNION_FILES
        case .identicalFilesOnly:
            // libostree compares by hard link identity, so copying must be off.
            opts.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_UNION_IDENTICAL
            opts.no_copy_fallback = 1
        }
        opts.force_copy = options.copy ? 1 : 0
        opts.process_whiteouts = 0
        if let cache = options.devinoCache { ostree_repo_checkout_at_options_set_devino(&opts, cache.handle) }
        let filter = options.filter.map { Unmanaged.passRetained(CheckoutFilterBox($0)) }
        defer { filter?.release() }
        if let filter {
            opts.filter = { _, path, status, context in
                let box = Unmanaged<CheckoutFilterBox>.fromOpaque(context!).takeUnretainedValue()
                return box.filter(String(cString: path!), status!.pointee.st_mode)
                    ? OSTREE_REPO_CHECKOUT_FILTER_ALLOW : OSTREE_REPO_CHECKOUT_FILTER_SKIP
            }
            opts.filter_user_data = filter.toOpaque()
        }
        try withOptionalCString(options.subpath) { subpath in
            opts.subpath = subpath
            try gcall("checking out \(commit) into \(path)") {
                ostree_repo_checkout_at(handle, &opts, directory, path, commit, nil, $0)
            }
        }
    }
}

/// How `checkout` lays files down.
public struct CheckoutOptions {
    /// What happens where the destination already has a file.
    public enum Overwrite: Sendable {
        /// The destination must not exist.
        case none
        /// Overlay onto an existing directory; later files replace earlier ones.
        case replaceFiles
        /// Overlay onto an existing directory; a file that exists must be identical, otherwise
        /// the checkout fails (a file conflict between packages).
        case identicalFilesOnly
    }

    public var overwrite: Overwrite = .none
    /// Copy file contents instead of hard-linking them from the repository.
    public var copy = false
    /// Check out files owned by the caller (for non-root use).
    public var userMode = false
    /// Only this subdirectory of the commit (e.g. `/usr/etc`).
    public var subpath: String? = nil
    /// Records (device, inode) → checksum of hard-linked files, so committing the result
    /// again needs no re-hashing.
    public var devinoCache: DevInoCache? = nil
    /// Asked for each entry before it is written, with its path relative to the top of the
    /// checkout (`/`, `/usr`, `/usr/bin/sh`) and its mode; false skips it and, for a directory,
    /// everything below it.
    public var filter: ((String, UInt32) -> Bool)? = nil

    public init(overwrite: Overwrite = .none, copy: Bool = false, userMode: Bool = false,
                subpath: String? = nil, devinoCache: DevInoCache? = nil) {
        self.overwrite = overwrite
        self.copy = copy
        self.userMode = userMode
        self.subpath = subpath
        self.devinoCache = devinoCache
    }
}

/// A checkout filter, handed to libostree's C callback as its context.
private final class CheckoutFilterBox {
    let filter: (String, UInt32) -> Bool
    init(_ filter: @escaping (String, UInt32) -> Bool) { self.filter = filter }
}

/// What a commit object carries besides its tree.
public struct CommitInfo: Sendable {
    public var checksum: String
    public var metadata: [String: MetadataValue]
    public var parent: String?
    public var subject: String
    /// Seconds since the epoch.
    public var timestamp: UInt64
}

/// A map from (device, inode) to object checksum, filled by checkouts and read by commits.
public final class DevInoCache {
    let handle: OpaquePointer
    public init() { handle = ostree_repo_devino_cache_new() }
    deinit { ostree_repo_devino_cache_unref(handle) }
}

func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let string else { return try body(nil) }
    return try string.withCString { try body($0) }
}
