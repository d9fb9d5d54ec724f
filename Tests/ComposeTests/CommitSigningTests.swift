import Compose
import Foundation
import OSTree
import TestSupport
import Testing
import ToolSupport

/// `harness compose tree --gpg-sign`: each new commit signed before its ref moves.
@Suite struct CommitSigningTests {
    @Test func aComposedCommitCarriesTheSignatureAndVerifiesWithThePublicKey() throws {
        let bed = try ComposeTestbed()
        let key = try TestSigningKey(name: "compose")
        try bed.writeTreefile(packages: ["fixture-base-files"])
        let result = try bed.compose(signer: GPGSigner(keyID: key.email, homedir: key.homedir))
        let client = bed.directory + "/client"
        try Program.check(["ostree", "init", "--repo=" + client, "--mode=bare-user"])
        try Program.check(["ostree", "--repo=" + client, "remote", "add", "--set=gpg-verify=true", "--gpg-import=" + key.publicKeyPath,
                           "composed", "file://" + bed.repository])
        let pulled = try Program.run(["ostree", "--repo=" + client, "pull", "--commit-metadata-only", "composed", result.ref])
        #expect(pulled.succeeded, "\(pulled.stderr)")
        let shown = try Program.check(["ostree", "--repo=" + client, "show", "--gpg-verify-remote=composed", result.commit]).stdout
        #expect(shown.contains("Good signature"), "\(shown)")
    }

    @Test func aKeyThatIsNotInTheKeyringFailsTheComposeBeforeAnyWork() throws {
        let bed = try ComposeTestbed()
        try bed.writeTreefile(packages: ["fixture-base-files"], extra: "gpg-key: nobody@harness.invalid")
        let error = #expect(throws: (any Error).self) { try bed.compose() }
        #expect("\(error!)".contains("GPG key 'nobody@harness.invalid' has no secret key"), "\(error!)")
        #expect(try bed.refs().isEmpty)
    }
}
