import Foundation

/// An exclusive lock on a directory held by one process at a time (`flock` on a file in it),
/// so that two runs sharing a cache or state directory take turns instead of interleaving.
public final class DirectoryLock {
    private let descriptor: Int32

    /// Takes the lock, waiting (and saying so) while another process holds it.
    public init(directory: String, purpose: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/.lock"
        descriptor = try SystemCallError.check("open", path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            Console.progress("Waiting for another \(purpose) using \(directory)")
            do {
                try SystemCallError.check("lock", path) { flock(descriptor, LOCK_EX) }
            } catch {
                close(descriptor)
                throw error
            }
        }
    }

    deinit { close(descriptor) }
}
