import Foundation
import ToolSupport

/// An OpenPGP signing key made for one test with GnuPG (RSA 2048, no passphrase), to sign
/// packages with rpmsign and repository metadata with a detached signature, as a
/// distribution's release key would.
public final class TestSigningKey {
    private let home: TemporaryDirectory
    public let email: String
    /// The ASCII-armored public key, written to `publicKeyPath` for `gpgkey=file://...`.
    public let publicKey: String
    public var publicKeyPath: String { home.path + "/public.asc" }
    /// The GnuPG home holding the secret key (`--gpg-homedir`).
    public var homedir: String { home.path }

    public init(name: String = "test") throws {
        home = try TemporaryDirectory(prefix: "harness-gpg-")
        chmod(home.path, 0o700)
        email = "\(name)@harness.invalid"
        try Self.gpg(home.path, ["--batch", "--passphrase", "", "--quick-gen-key", "Harness \(name) <\(email)>",
                                 "rsa2048", "sign", "never"])
        publicKey = try Self.gpg(home.path, ["--armor", "--export", email]).stdout
        try publicKey.write(toFile: publicKeyPath, atomically: true, encoding: .utf8)
    }

    deinit {
        _ = try? Program.run(["gpgconf", "--homedir", home.path, "--kill", "all"])
        home.remove()
    }

    /// Signs the package file in place (its header signature), as `rpmsign --addsign` does.
    public func sign(package path: String) throws {
        try Program.check(["rpmsign", "--addsign", "--define", "__gpg /usr/bin/gpg", "--define", "_gpg_name \(email)",
                           "--define", "_gpg_path \(home.path)", path], environment: Self.environment(home.path))
    }

    /// Signs an OSTree commit of `repository`, as `ostree gpg-sign` does for a release.
    public func sign(commit: String, in repository: String) throws {
        try Program.check(["ostree", "gpg-sign", "--repo=" + repository, "--gpg-homedir=" + home.path, commit, email])
    }

    /// Writes `path.asc`, an armored detached signature of the file (`repomd.xml.asc`).
    public func signDetached(_ path: String) throws {
        try Self.gpg(home.path, ["--batch", "--yes", "--armor", "--local-user", email, "--detach-sign", "--output", path + ".asc", path])
    }

    private static func environment(_ home: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["GNUPGHOME"] = home
        return environment
    }

    @discardableResult
    private static func gpg(_ home: String, _ arguments: [String]) throws -> ProgramResult {
        try Program.check(["gpg", "--homedir", home] + arguments, environment: environment(home))
    }
}
