/// The file-type bits of `st_mode`, as plain numbers (Glibc and the C shims both export the
/// `S_IF*` macros, which makes them ambiguous in Swift).
public enum FileMode {
    public static let typeMask: UInt32 = 0o170000
    public static let directory: UInt32 = 0o040000
    public static let regular: UInt32 = 0o100000
    public static let symlink: UInt32 = 0o120000
    public static let characterDevice: UInt32 = 0o020000
    public static let blockDevice: UInt32 = 0o060000
    public static let fifo: UInt32 = 0o010000
    public static let socket: UInt32 = 0o140000
    /// Permission bits including setuid, setgid and sticky.
    public static let permissionMask: UInt32 = 0o7777

    /// The type bits of `mode`.
    public static func type(_ mode: UInt32) -> UInt32 { mode & typeMask }
}
