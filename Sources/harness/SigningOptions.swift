import ArgumentParser
import OSTree

/// `--gpg-sign KEYID [--gpg-homedir DIR]`, as ostree and rpm-ostree spell them.
struct SigningOptions: ParsableArguments {
    @Option(name: .customLong("gpg-sign"), help: "Sign with this GPG key (ID, fingerprint or e-mail).")
    var keyID: String?

    @Option(help: "The GnuPG home holding the secret key (default: $GNUPGHOME or ~/.gnupg).")
    var gpgHomedir: String?

    var signer: GPGSigner? { keyID.map { GPGSigner(keyID: $0, homedir: gpgHomedir.map(absolute)) } }

    func validate() throws {
        if gpgHomedir != nil && keyID == nil { throw ValidationError("--gpg-homedir goes with --gpg-sign") }
    }
}
