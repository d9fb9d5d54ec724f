import Foundation
import OSTree
import ToolSupport

/// OpenPGP detached signatures of a certification record, made and checked by GnuPG itself:
/// `gpg --detach-sign` with the signer's key, `gpgv` against exactly one public key file.
enum DetachedSignature {
    static func sign(_ data: [UInt8], with signer: GPGSigner) throws -> [UInt8] {
        let scratch = try TemporaryDirectory(prefix: "harness-sign-")
        defer { scratch.remove() }
        let input = scratch.path + "/data", output = scratch.path + "/data.sig"
        try Data(data).write(to: URL(fileURLWithPath: input))
        let result = try Program.run(signer.gpgCommand(["--yes", "--local-user", signer.keyID, "--detach-sign", "--output", output, input]))
        guard result.succeeded else {
            throw PublishError("signing with \(signer.description) failed: \(result.stderr.lastLinesOnOneLine(2))")
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// Whether `signature` is a good signature of `data` by the key in `keyFile` (armored or
    /// binary), trusting no other key.
    static func verify(_ data: [UInt8], signature: [UInt8], keyFile: String) throws -> Bool {
        let scratch = try TemporaryDirectory(prefix: "harness-verify-")
        defer { scratch.remove() }
        let keyring = scratch.path + "/key.gpg", input = scratch.path + "/data", sig = scratch.path + "/data.sig"
        let dearmored = try Program.run(["gpg", "--batch", "--yes", "--dearmor", "--output", keyring, keyFile])
        guard dearmored.succeeded else { throw PublishError("\(keyFile): not an OpenPGP public key: \(dearmored.stderr.lastLinesOnOneLine(1))") }
        try Data(data).write(to: URL(fileURLWithPath: input))
        try Data(signature).write(to: URL(fileURLWithPath: sig))
        return try Program.run(["gpgv", "--homedir", scratch.path, "--keyring", keyring, sig, input]).succeeded
    }
}
