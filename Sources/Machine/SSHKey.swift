import Foundation
import ToolSupport

/// The key pair harness logs into SSH guests with: one per state directory
/// (`STATE/ssh/id_ed25519`), made on first use; images built for the SSH channel carry its
/// public half in root's `authorized_keys`.
public struct SSHKey: Sendable {
    public let privateKeyPath: String
    /// The `authorized_keys` line.
    public let publicKey: String

    public static func ofState(_ stateDirectory: String) throws -> SSHKey {
        let directory = stateDirectory + "/ssh"
        let path = directory + "/id_ed25519"
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let partial = directory + "/.id_ed25519.partial"
            try? FileManager.default.removeItem(atPath: partial)
            try? FileManager.default.removeItem(atPath: partial + ".pub")
            try Program.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "harness", "-f", partial])
            // The public half first: a private key present means the pair is whole.
            try SystemCallError.check("rename", path + ".pub") { rename(partial + ".pub", path + ".pub") }
            try SystemCallError.check("rename", path) { rename(partial, path) }
        }
        let publicKey = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return SSHKey(privateKeyPath: path, publicKey: publicKey)
    }
}
