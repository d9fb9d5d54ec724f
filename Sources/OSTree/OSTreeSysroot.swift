import CLibOSTree
import Foundation

/// One deployment of a sysroot: a checkout of a commit under `ostree/deploy/OS/deploy/`, with
/// its origin file (what it tracks) and its boot entry (kernel arguments).
///
/// Owns a reference to libostree's `OstreeDeployment`; the values are read once.
public final class OSTreeDeployment: @unchecked Sendable {
    let handle: OpaquePointer
    public let osName: String
    public let checksum: String
    public let serial: Int
    public let isBooted: Bool
    public let isStaged: Bool
    public let isPinned: Bool
    /// The origin file's text (a GKeyFile: `[origin] refspec`, `[packages]`, `[overrides]`).
    public let origin: String?
    /// The kernel command line of its boot entry (`options`), nil for a deployment not yet
    /// written into the boot configuration.
    public let kernelArguments: String?

    /// Takes a reference of its own to `handle`.
    init(handle: OpaquePointer, booted: Bool) {
        self.handle = OpaquePointer(g_object_ref(UnsafeMutableRawPointer(handle)))
        osName = String(cString: ostree_deployment_get_osname(handle))
        checksum = String(cString: ostree_deployment_get_csum(handle))
        serial = Int(ostree_deployment_get_deployserial(handle))
        isBooted = booted
        isStaged = ostree_deployment_is_staged(handle) != 0
        isPinned = ostree_deployment_is_pinned(handle) != 0
        if let keyFile = ostree_deployment_get_origin(handle), let data = g_key_file_to_data(keyFile, nil, nil) {
            origin = String(cString: data)
            g_free(data)
        } else {
            origin = nil
        }
        if let bootconfig = ostree_deployment_get_bootconfig(handle),
           let options = ostree_bootconfig_parser_get(bootconfig, "options") {
            kernelArguments = String(cString: options)
        } else {
            kernelArguments = nil
        }
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    /// `OS-CHECKSUM.SERIAL`, as `ostree admin status` and rpm-ostree name a deployment.
    public var id: String { "\(osName)-\(checksum).\(serial)" }

    /// Whether both name the same deployment.
    public func isSame(as other: OSTreeDeployment) -> Bool {
        osName == other.osName && checksum == other.checksum && serial == other.serial
    }
}

/// An OSTree sysroot: `/` on a booted system, or any directory made with `ostree admin
/// init-fs` (how the client is tested without a VM).
public final class OSTreeSysroot {
    let handle: OpaquePointer
    public let path: String
    private var isLocked = false

    /// Loads the sysroot at `path`.
    public init(path: String) throws {
        _ = Self.printsToStandardError
        let file = g_file_new_for_path(path)
        defer { g_object_unref(UnsafeMutableRawPointer(file)) }
        handle = ostree_sysroot_new(file)
        self.path = path
        try reload()
    }

    /// libostree reports some results with `g_print` (the space a prune freed); standard
    /// output belongs to the program's own output (`--json`), so GLib prints go to stderr.
    private static let printsToStandardError: Void = {
        g_set_print_handler { message in
            guard let message else { return }
            FileHandle.standardError.write(Data(String(cString: message).utf8))
        }
    }()

    deinit {
        if isLocked { ostree_sysroot_unlock(handle) }
        g_object_unref(UnsafeMutableRawPointer(handle))
    }

    /// Takes ostree's own sysroot lock (the one `ostree admin` takes too), waiting and saying
    /// so while another process holds it; then reloads, so that what is read is what the
    /// previous holder left. Released when this object goes.
    public func lock(waiting: (String) -> Void) throws {
        guard !isLocked else { return }
        var acquired: gboolean = 0
        try gcall("locking the sysroot \(path)") { ostree_sysroot_try_lock(handle, &acquired, $0) }
        if acquired == 0 {
            waiting("Waiting for another process to release the sysroot lock of \(path)")
            try gcall("locking the sysroot \(path)") { ostree_sysroot_lock(handle, $0) }
        }
        isLocked = true
        try reload()
    }

    /// The sysroot's repository.
    public func repository() throws -> OSTreeRepository {
        var repo: OpaquePointer? = nil
        try gcall("opening the repository of \(path)") { ostree_sysroot_get_repo(handle, &repo, nil, $0) }
        return OSTreeRepository(handle: repo!, path: repositoryPath)
    }

    /// Reads the deployment list and boot configuration from disk again.
    private func reload() throws {
        try gcall("loading the OSTree sysroot \(path)") { ostree_sysroot_load(handle, nil, $0) }
    }

    /// The host path of `relative` (e.g. `ostree/repo`) inside the sysroot.
    public func hostPath(_ relative: String) -> String {
        (path == "/" ? "" : path) + "/" + relative
    }

    /// Where the sysroot's repository lives.
    public var repositoryPath: String { hostPath("ostree/repo") }

    /// The deployments, the default (next boot) first, as the bootloader orders them.
    public func deployments() -> [OSTreeDeployment] {
        guard let list = ostree_sysroot_get_deployments(handle) else { return [] }
        defer { g_ptr_array_unref(list) }
        let booted = ostree_sysroot_get_booted_deployment(handle)
        return (0..<Int(list.pointee.len)).map { index in
            let deployment = OpaquePointer(list.pointee.pdata[index]!)
            let isBooted = booted.map { ostree_deployment_equal(UnsafeRawPointer($0), UnsafeRawPointer(deployment)) != 0 } ?? false
            return OSTreeDeployment(handle: deployment, booted: isBooted)
        }
    }

    /// The directory a deployment is checked out in.
    public func directory(of deployment: OSTreeDeployment) -> String {
        let relative = ostree_sysroot_get_deployment_dirpath(handle, deployment.handle)!
        defer { g_free(relative) }
        return hostPath(String(cString: relative))
    }

    /// Checks `commit` out as a new deployment of `osName`, its `/etc` three-way merged from
    /// `merge` (the local changes of that deployment's `/etc` over the new defaults), with
    /// `origin` as its origin file and `kernelArguments` as its kernel command line (the
    /// merge deployment's when nil). The deployment list is not changed: see `write(_:)`.
    public func deploy(osName: String, commit: String, origin: String, merge: OSTreeDeployment?,
                       kernelArguments: [String]? = nil) throws -> OSTreeDeployment {
        let keyFile = g_key_file_new()!
        defer { g_key_file_unref(keyFile) }
        try gcall("reading the origin for \(commit)") {
            g_key_file_load_from_data(keyFile, origin, gsize(origin.utf8.count), G_KEY_FILE_KEEP_COMMENTS, $0)
        }
        var options = OstreeSysrootDeployTreeOpts()
        var created: OpaquePointer? = nil
        try withNullTerminatedCStrings(kernelArguments) { argv in
            options.override_kernel_argv = argv
            try gcall("deploying \(commit) in \(path)") {
                ostree_sysroot_deploy_tree_with_options(handle, osName, commit, keyFile, merge?.handle, &options,
                                                        &created, nil, $0)
            }
        }
        defer { g_object_unref(UnsafeMutableRawPointer(created)) }
        return OSTreeDeployment(handle: created!, booted: false)
    }

    /// Makes `deployments` the sysroot's deployment list, in boot order (the first boots by
    /// default), swapping the boot configuration atomically. Nothing is deleted: the boot links
    /// and deployments left out stay until `cleanup()`, which must come only once the swap is
    /// on disk as the bootloader reads it (see `FilesystemFreeze`).
    public func write(_ deployments: [OSTreeDeployment]) throws {
        let array = g_ptr_array_new()!
        defer { g_ptr_array_unref(array) }
        for deployment in deployments { g_ptr_array_add(array, UnsafeMutableRawPointer(deployment.handle)) }
        var options = OstreeSysrootWriteDeploymentsOpts()
        options.do_postclean = 0
        try gcall("writing the deployments of \(path)") {
            ostree_sysroot_write_deployments_with_options(handle, array, &options, nil, $0)
        }
        try reload()
    }

    /// Where the sysroot's boot files are (`/boot` of a booted system, its own filesystem).
    public var bootPath: String { hostPath("boot") }

    /// Deletes what no deployment uses any more: old deployment directories, boot files, and
    /// repository objects no ref or deployment reaches.
    public func cleanup() throws {
        try gcall("cleaning up \(path)") { ostree_sysroot_cleanup(handle, nil, $0) }
    }
}

/// Runs `body` with a NULL-terminated C array of the strings, or NULL for nil.
func withNullTerminatedCStrings<R>(_ strings: [String]?,
                                   _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws -> R) rethrows -> R {
    guard let strings else { return try body(nil) }
    let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
    defer {
        for index in 0..<strings.count { free(array[index]) }
        array.deallocate()
    }
    for (index, string) in strings.enumerated() { array[index] = strdup(string) }
    array[strings.count] = nil
    return try body(array)
}
