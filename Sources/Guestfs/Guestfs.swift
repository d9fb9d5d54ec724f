import CLibGuestfs
import Foundation

/// A libguestfs call that failed, with libguestfs's own message.
public struct GuestfsError: Error, CustomStringConvertible {
    public var operation: String
    public var message: String
    public var description: String { "libguestfs: \(operation): \(message)" }
}

/// One libguestfs handle and, once launched, its appliance: a small VM that edits disk images.
///
/// Under TCG the appliance needs the `direct` backend with `force_tcg` (otherwise libguestfs
/// picks KVM, which is broken on this machine kind and dies); a launch costs 18-30 s, so
/// callers do their bulk work on the host and launch once per image at most.
public final class GuestfsHandle {
    private let handle: OpaquePointer

    /// A handle with the direct backend; `forceTCG` avoids KVM.
    public init(forceTCG: Bool) throws {
        guard let handle = guestfs_create() else {
            throw GuestfsError(operation: "creating a handle", message: "guestfs_create failed")
        }
        self.handle = handle
        try check("setting the backend") { guestfs_set_backend(handle, "direct") }
        if forceTCG {
            let setting = strdup("force_tcg")
            defer { free(setting) }
            var settings: [UnsafeMutablePointer<CChar>?] = [setting, nil]
            try check("forcing TCG") { guestfs_set_backend_settings(handle, &settings) }
        }
    }

    deinit {
        guestfs_close(handle)
    }

    /// Adds a disk image (before `launch`).
    public func addDrive(_ path: String, format: String, readOnly: Bool = false) throws {
        var options = guestfs_add_drive_opts_argv()
        options.bitmask = (UInt64(1) << 1) | (readOnly ? 1 : 0)
        options.readonly = readOnly ? 1 : 0
        try format.withCString { formatC in
            options.format = formatC
            try check("adding \(path)") { guestfs_add_drive_opts_argv(handle, path, &options) }
        }
    }

    /// Starts the appliance.
    public func launch() throws {
        try check("launching the appliance") { guestfs_launch(handle) }
    }

    public func mount(_ device: String, at mountpoint: String) throws {
        try check("mounting \(device) on \(mountpoint)") { guestfs_mount(handle, device, mountpoint) }
    }

    /// Installs the extlinux boot sector into the filesystem holding `directory`.
    public func installExtlinux(in directory: String) throws {
        try check("installing extlinux in \(directory)") { guestfs_extlinux(handle, directory) }
    }

    /// Unmounts everything and shuts the appliance down, flushing writes.
    public func shutdown() throws {
        try check("unmounting") { guestfs_umount_all(handle) }
        try check("shutting the appliance down") { guestfs_shutdown(handle) }
    }

    private func check(_ operation: String, _ call: () -> Int32) throws {
        guard call() != -1 else {
            let message = guestfs_last_error(handle).map { String(cString: $0) } ?? "unknown error"
            throw GuestfsError(operation: operation, message: message)
        }
    }
}
