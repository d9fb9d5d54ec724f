import Foundation
import ToolSupport

/// Who signs: a GnuPG key (its ID, fingerprint or e-mail) and the GnuPG home holding its
/// secret part (nil: GnuPG's default, `$GNUPGHOME` or `~/.gnupg`).
///
/// Debian 12's libostree 2022.7 signs with GnuPG only: it is built without libsodium, so
/// ostree's ed25519 signatures (`ostree sign`, `sign-verify=true`) are not available.
public struct GPGSigner: Sendable, Equatable {
    public var keyID: String
    public var homedir: String?

    public init(keyID: String, homedir: String? = nil) {
        self.keyID = keyID
        self.homedir = homedir
    }

    /// How errors name the key: `KEY (in HOMEDIR)`.
    public var description: String { "GPG key '\(keyID)'" + (homedir.map { " in \($0)" } ?? "") }
}

extension GPGSigner {
    /// Fails, naming the key and keyring, when GnuPG has no secret key `keyID` there: callers
    /// check before anything is written.
    public func checkSecretKey() throws {
        guard try Program.run(gpgCommand(["--list-secret-keys", keyID])).succeeded else {
            let keyring = homedir ?? ProcessInfo.processInfo.environment["GNUPGHOME"] ?? "~/.gnupg"
            throw OSTreeError("checking the signing key", .missingSigningKey(keyID: keyID, keyring: keyring))
        }
    }

    /// `gpg --batch` in the signer's GnuPG home, with `arguments`.
    public func gpgCommand(_ arguments: [String]) -> [String] {
        ["gpg"] + (homedir.map { ["--homedir", $0] } ?? []) + ["--batch"] + arguments
    }
}
