/// What rpm-ostree does with one treefile key: the type of its value, how the values of an
/// including and an included file combine, and whether our compose acts on it.
struct TreefileKey: Sendable {
    /// How an included file's value combines with the including file's (see treefile-includes.md).
    enum Merge: Sendable {
        /// The including file's value wins; after it, the first include processed that sets it.
        case includerWins
        /// Lists are concatenated, the included file's items first.
        case concatenate
        /// `repo-packages`: concatenated, then each package kept only in its last entry.
        case concatenateLastPackageWins
        /// Sets: union, sorted.
        case union
        /// Mappings: union key by key; on a duplicate key the including file wins.
        case mapUnion
        /// `platform-module`: never taken from an included file.
        case rootOnly
        /// `include`, `arch-include`, `conditional-include`, `variables`: used up by the walk.
        case consumed
    }

    let shape: ValueShape
    let merge: Merge
    /// Whether the compose acts on the key; the others are accepted, merged and printed, and
    /// listed in `Treefile.unimplementedKeys`.
    let isImplemented: Bool
}

/// Every key rpm-ostree's treefiles accept (plus our `base` and `local-repos`), from treefile-keys.md.
enum TreefileKeys {
    static func key(_ name: String) -> TreefileKey? { known[name] }

    /// Snake-case spellings rpm-ostree still reads, and their kebab-case names.
    static let legacySpellings: [String: String] = [
        "gpg_key": "gpg-key",
        "boot_location": "boot-location",
        "default_target": "default-target",
        "automatic_version_prefix": "automatic-version-prefix",
    ]

    /// Keys of client-side treefiles (`rpm-ostree ex rebuild`), which a compose rejects.
    static let clientSideOnly: Set<String> = [
        "base-refspec", "container-image-reference", "packages-local", "packages-local-fileoverride",
        "override-remove", "ex-override-replace", "override-replace-local", "initramfs", "custom",
        "override-commit", "unconfigured-state",
    ]

    /// `packages-<basearch>` keys start with this.
    static let archPackagesPrefix = "packages-"

    /// `base:` values with these endings name an archive; anything else is an OSTree ref.
    static let archiveSuffixes = [".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst", ".tar.bz2"]
    /// `base:` values naming a script that builds the base archive.
    static let recipeSuffixes = [".sh"]

    private static let known: [String: TreefileKey] = {
        func key(_ shape: ValueShape, _ merge: TreefileKey.Merge, implemented: Bool = false) -> TreefileKey {
            TreefileKey(shape: shape, merge: merge, isImplemented: implemented)
        }
        let metadataTarget = ValueShape.oneOf(["inline", "detached", "disabled"])
        return [
            // Acted on by the compose.
            "ref": key(.string, .includerWins, implemented: true),
            "basearch": key(.string, .includerWins, implemented: true),
            "base": key(.string, .includerWins, implemented: true),
            "local-repos": key(.stringMap, .mapUnion, implemented: true),
            "repos": key(.stringList, .concatenate, implemented: true),
            "packages": key(.stringList, .union, implemented: true),
            "exclude-packages": key(.stringList, .concatenate, implemented: true),
            "include": key(.stringOrStringList, .consumed, implemented: true),
            "arch-include": key(.archInclude, .consumed, implemented: true),
            "conditional-include": key(.conditionalInclude, .consumed, implemented: true),
            "variables": key(.variables, .consumed, implemented: true),
            "releasever": key(.stringOrUnsignedInteger, .includerWins, implemented: true),
            "remove-files": key(.stringList, .concatenate, implemented: true),
            "add-files": key(.sourceDestinationPairs, .concatenate, implemented: true),
            "postprocess": key(.stringList, .concatenate, implemented: true),
            "postprocess-script": key(.string, .includerWins, implemented: true),
            "automatic-version-prefix": key(.string, .includerWins, implemented: true),
            "automatic-version-suffix": key(.string, .includerWins, implemented: true),
            "boot-location": key(.oneOf(["new", "modules", "kernel-install"]), .includerWins, implemented: true),
            "units": key(.stringList, .concatenate, implemented: true),
            "initramfs-args": key(.stringList, .concatenate, implemented: true),
            "etc-group-members": key(.stringList, .concatenate, implemented: true),
            "recommends": key(.bool, .includerWins, implemented: true),
            "documentation": key(.bool, .includerWins, implemented: true),
            "metadata": key(.anyMap, .mapUnion, implemented: true),
            "add-commit-metadata": key(.anyMap, .mapUnion, implemented: true),
            "gpg-key": key(.string, .includerWins, implemented: true),

            // Accepted and merged, not acted on yet.
            "edition": key(.oneOf(["2014", "2024"]), .includerWins),
            "selinux": key(.bool, .includerWins),
            "ignore-devices": key(.bool, .includerWins),
            "ima": key(.bool, .includerWins),
            "install-langs": key(.stringList, .concatenate),
            "mutate-os-release": key(.string, .includerWins),
            "bootstrap-packages": key(.stringList, .union),
            "repo-packages": key(.repoPackages, .concatenateLastPackageWins),
            "ostree-layers": key(.stringList, .concatenate),
            "ostree-override-layers": key(.stringList, .concatenate),
            "container-cmd": key(.stringList, .includerWins),
            "default-target": key(.string, .includerWins),
            "rpmdb": key(.oneOf(["bdb", "sqlite", "ndb", "target", "host"], aliases: ["b-d-b": "bdb"]), .includerWins),
            "rpmdb-normalize": key(.bool, .includerWins),
            "selinux-label-version": key(.unsignedInteger, .includerWins),
            "cliwrap": key(.bool, .includerWins),
            "cliwrap-binaries": key(.stringList, .concatenate),
            "readonly-executables": key(.bool, .includerWins),
            "remove-from-packages": key(.stringListList, .concatenate),
            "preserve-passwd": key(.bool, .includerWins),
            "check-passwd": key(.accountCheck(users: true), .includerWins),
            "check-groups": key(.accountCheck(users: false), .includerWins),
            "ignore-removed-users": key(.stringList, .union),
            "ignore-removed-groups": key(.stringList, .union),
            "container": key(.bool, .includerWins),
            "tmp-is-dir": key(.bool, .includerWins),
            "machineid-compat": key(.bool, .includerWins),
            "platform-module": key(.string, .rootOnly),
            "repo-metadata": key(metadataTarget, .includerWins),
            "advisories-metadata": key(metadataTarget, .includerWins),
            "lockfile-repos": key(.stringList, .concatenate),
            "repovars": key(.stringMap, .mapUnion),
            "sysusers": key(.oneOf(["compose-auto", "compose-forced"]), .includerWins),
            "opt-usrlocal": key(.oneOf(["var", "root", "state-overlay"], aliases: ["stateoverlay": "state-overlay"]), .includerWins),
            "no-initramfs": key(.bool, .includerWins),
            "rojig": key(.rojig, .includerWins),
        ]
    }()
}
