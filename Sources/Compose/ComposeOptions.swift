import Foundation
import OSTree

/// Where a compose reads and writes, and how.
public struct ComposeOptions: Sendable {
    /// The OSTree repository that receives the commit (created as `archive` if missing).
    public var repository: String
    /// Package cache, downloaded metadata and scratch space (one filesystem, for hard links).
    public var cacheDirectory: String
    /// Commit even when the inputs did not change.
    public var forceNoCache = false
    /// Resolve the package set (the result lists it), then stop: nothing is written.
    public var dryRun = false
    /// `--var K=V` values for the treefile.
    public var variables: [String: String] = [:]
    /// The compose architecture (`x86_64`).
    public var basearch = "x86_64"
    /// Signs each new commit (`--gpg-sign`); without it, the treefile's `gpg-key` with
    /// GnuPG's default home.
    public var signer: GPGSigner?
    /// `SOURCE_DATE_EPOCH`: the commit's timestamp. librpm reads the variable from the
    /// environment itself for the install times the rpmdb records, and the scriptlets get it:
    /// with both set, the same inputs compose to the same commit checksum anywhere.
    public var sourceDateEpoch: UInt64?
    /// `--ex-lockfile`: the packages the compose must take, at the locked versions.
    public var lockfile: Lockfile?
    /// `--ex-lockfile-strict`: only packages of the lockfile may be taken.
    public var lockfileStrict = false
    /// `--ex-write-lockfile-to`: where to write the lockfile of what was resolved.
    public var writeLockfileTo: String?
    /// The ref to commit to, instead of the treefile's `ref`.
    public var ref: String?
    /// The exact packages (NEVRAs) to install instead of resolving the treefile's: all from
    /// the package cache, checked to hold together (what `harness bisect` composes).
    public var packageSet: [String]?

    public init(repository: String, cacheDirectory: String) {
        self.repository = repository
        self.cacheDirectory = cacheDirectory
    }
}
