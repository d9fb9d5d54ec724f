import ToolSupport

/// What `harness image build` makes.
public struct ImageOptions: Sendable {
    public enum Format: String, Sendable, CaseIterable { case qcow2, raw }
    public enum Firmware: String, Sendable, CaseIterable { case bios, uefi }

    /// The OSTree repository holding the commit.
    public var repository: String
    public var ref: String
    /// The image file to write; with `platforms`, the directory for the artifacts and meta.json.
    public var output: String
    public var format: Format = .qcow2
    /// Disk size in bytes.
    public var size: UInt64 = 8 << 30
    /// Extra kernel arguments (`K=V` or `K`), after `root=LABEL=root rw console=ttyS0,115200`.
    public var kernelArguments: [String] = []
    public var firmware: Firmware = .bios
    /// The platforms to write artifacts for, from one hybrid (GPT, BIOS and UEFI) raw disk;
    /// empty for the one `format` image.
    public var platforms: [Platform] = []
    /// Also the installer of the metal image: a hybrid ISO and the PXE trio.
    public var liveISO = false
    /// What the platform artifacts are compressed with afterwards, if anything.
    public var compression: Compression?
    /// The stateroot ("os") name of the deployment.
    public var osName = ImageOptions.defaultOSName
    public static let defaultOSName = "harness"
    /// Where the image's `harness` remote points (updates are pulled from there).
    public var remoteURL = ImageOptions.defaultRemoteURL
    /// Where an update disk mounted at `/run/harness/updates` holds the repository.
    public static let defaultRemoteURL = "file:///run/harness/updates/repo"
    /// A public key file (armored or binary) the `harness` remote verifies commits and the
    /// summary with (`gpg-verify=true`, `gpg-verify-summary=true`); nil: no verification.
    public var gpgImport: String?
    /// `authorized_keys` lines for root (harness's own key, for the SSH channel).
    public var authorizedKeys: [String] = []

    public init(repository: String, ref: String, output: String) {
        self.repository = repository
        self.ref = ref
        self.output = output
    }

    /// Parses `8G`, `512M`, `4096K` or a byte count.
    public static func parseSize(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        if let last = text.uppercased().last, let unit = units[last] {
            return UInt64(text.dropLast()).map { $0 * unit }
        }
        return UInt64(text)
    }
}

/// Bad image input, or an image not as it must be, named.
public struct ImageError: Error, CustomStringConvertible {
    /// What went wrong, for callers that tell failures apart.
    public enum Kind: Sendable, Equatable {
        /// An option, input file or disk is not as it must be; the message says which.
        case invalid(String)
        /// `--size` cannot hold the partitions and the tree: `needed` bytes would.
        case tooSmall(size: UInt64, needed: UInt64)
    }

    public var kind: Kind

    public var description: String {
        switch kind {
        case .invalid(let message):
            message
        case .tooSmall(let size, let needed):
            "--size \(ByteCount.format(size)): too small for the tree; it needs at least \(ByteCount.format(needed))"
        }
    }

    public init(_ kind: Kind) { self.kind = kind }
    public init(_ message: String) { self.kind = .invalid(message) }
}
