import CLinux

/// A file that lives in memory only (memfd_create(2)): for data a library insists on reading
/// from a descriptor, without touching a filesystem or leaving anything to clean up.
public enum MemoryFile {
    /// A new, empty memory file's descriptor (close-on-exec); `name` shows in /proc only.
    public static func create(name: String) throws -> Int32 {
        try SystemCallError.check("memfd_create", name) { harness_memfd_create(name) }
    }
}
