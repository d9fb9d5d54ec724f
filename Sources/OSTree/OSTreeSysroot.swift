import CLibOSTree
import Foundation

/// One deployment of a sysroot, as libostree reports it.
public struct DeploymentInfo: Sendable, Equatable {
    public var osName: String
    public var checksum: String
    public var serial: Int
    /// The origin's `[origin] refspec` (e.g. `harness:harness/x86_64/debian-bookworm`).
    public var refspec: String?
    /// `[packages] requested` of the origin: packages layered on the base.
    public var requestedPackages: [String]
    public var isBooted: Bool
    public var isStaged: Bool
    public var isPinned: Bool
}

/// An OSTree sysroot: `/` on a booted system, or any directory made with `ostree admin
/// init-fs` (how the client is tested without a VM).
public final class OSTreeSysroot {
    let handle: OpaquePointer
    public let path: String

    /// Loads the sysroot at `path`.
    public init(path: String) throws {
        let file = g_file_new_for_path(path)
        defer { g_object_unref(UnsafeMutableRawPointer(file)) }
        handle = ostree_sysroot_new(file)
        self.path = path
        try gcall("loading the OSTree sysroot \(path)") { ostree_sysroot_load(handle, nil, $0) }
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    /// The sysroot's repository.
    public func repository() throws -> OSTreeRepository {
        var repo: OpaquePointer? = nil
        try gcall("opening the repository of \(path)") { ostree_sysroot_get_repo(handle, &repo, nil, $0) }
        return OSTreeRepository(handle: repo!, path: path + "/ostree/repo")
    }

    /// The deployments, the default (next boot) first, as the bootloader orders them.
    public func deployments() -> [DeploymentInfo] {
        guard let list = ostree_sysroot_get_deployments(handle) else { return [] }
        defer { g_ptr_array_unref(list) }
        let booted = ostree_sysroot_get_booted_deployment(handle)
        return (0..<Int(list.pointee.len)).map { index in
            let deployment = OpaquePointer(list.pointee.pdata[index]!)
            var refspec: String?
            var requested: [String] = []
            if let origin = ostree_deployment_get_origin(deployment) {
                if let value = g_key_file_get_string(origin, "origin", "refspec", nil) {
                    refspec = String(cString: value)
                    g_free(value)
                }
                if let value = g_key_file_get_string(origin, "packages", "requested", nil) {
                    requested = String(cString: value).split(separator: ";").map(String.init).filter { !$0.isEmpty }
                    g_free(value)
                }
            }
            return DeploymentInfo(
                osName: String(cString: ostree_deployment_get_osname(deployment)),
                checksum: String(cString: ostree_deployment_get_csum(deployment)),
                serial: Int(ostree_deployment_get_deployserial(deployment)),
                refspec: refspec,
                requestedPackages: requested,
                isBooted: booted.map { ostree_deployment_equal(UnsafeRawPointer($0), UnsafeRawPointer(deployment)) != 0 } ?? false,
                isStaged: ostree_deployment_is_staged(deployment) != 0,
                isPinned: ostree_deployment_is_pinned(deployment) != 0)
        }
    }
}
