import Foundation
import OSTree
import ToolSupport

/// The GPG key `harness run` signs what its scenarios publish with: one per state directory
/// (`STATE/gnupg`, RSA 2048, no passphrase), made on first use; images built for those
/// scenarios verify with its public half (`STATE/gnupg/publishing.asc`).
public struct PublishingKey: Sendable {
    public let signer: GPGSigner
    /// The armored public key, for `image build --gpg-import`.
    public let publicKeyPath: String

    public static let email = "publishing@harness.invalid"

    public static func ofState(_ stateDirectory: String) throws -> PublishingKey {
        let home = stateDirectory + "/gnupg"
        let publicKey = home + "/publishing.asc"
        if !FileManager.default.fileExists(atPath: publicKey) {
            // Made whole in a scratch home, then renamed into place: a killed run leaves no half key.
            let partial = stateDirectory + "/.gnupg.partial"
            FileTree.removeRecursively(partial)
            try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let gpg = ["gpg", "--homedir", partial, "--batch", "--passphrase", ""]
            try Program.check(gpg + ["--quick-gen-key", "harness publishing <\(email)>", "rsa2048", "sign", "never"])
            try Program.check(gpg + ["--armor", "--output", partial + "/publishing.asc", "--export", email])
            _ = try? Program.run(["gpgconf", "--homedir", partial, "--kill", "all"])
            FileTree.removeRecursively(home)
            try SystemCallError.check("rename", home) { rename(partial, home) }
        }
        return PublishingKey(signer: GPGSigner(keyID: email, homedir: home), publicKeyPath: publicKey)
    }
}
