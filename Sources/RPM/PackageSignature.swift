import CLibRPM
import Foundation
import ToolSupport

/// OpenPGP public keys that packages may be signed with: a repository's `gpgkey=` files, in
/// librpm's keyring, subkeys included (as `rpmkeys --import` takes them).
public final class RPMKeyring: @unchecked Sendable {
    let handle: rpmKeyring
    /// The key IDs (16 hex digits) of the keys and subkeys, for messages.
    public private(set) var keyIDs: [String] = []

    /// Reads every ASCII-armored public key block of each file; `source` names the file (a
    /// path or URL) in errors. A file without any key is an error.
    public init(armoredKeys: [(source: String, text: String)]) throws {
        handle = rpmKeyringNew()
        try RPMLibrary.withLibrary {
            for (source, text) in armoredKeys {
                let blocks = Self.armoredBlocks(text)
                guard !blocks.isEmpty else { throw RPMError(source, "holds no ASCII-armored OpenPGP public key") }
                for block in blocks { try add(block, source: source) }
            }
        }
    }

    deinit { rpmKeyringFree(handle) }

    private func add(_ block: String, source: String) throws {
        var packets: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        guard pgpParsePkts(block, &packets, &length) == PGPARMOR_PUBKEY, let packets else {
            throw RPMError(source, "is not an OpenPGP public key")
        }
        defer { free(packets) }
        // One armor block may hold several certificates back to back.
        var offset = 0
        while offset < length {
            var certificateLength = 0
            guard pgpPubKeyCertLen(packets + offset, length - offset, &certificateLength) == 0, certificateLength > 0,
                  let key = rpmPubkeyNew(packets + offset, certificateLength) else {
                throw RPMError(source, "holds an OpenPGP public key librpm cannot read")
            }
            defer { rpmPubkeyFree(key) }
            rpmKeyringAddKey(handle, key)
            keyIDs.append(Self.keyID(of: key))
            var subkeyCount: Int32 = 0
            if let subkeys = rpmGetSubkeys(key, &subkeyCount) {
                for index in 0..<Int(subkeyCount) {
                    rpmKeyringAddKey(handle, subkeys[index])
                    keyIDs.append(Self.keyID(of: subkeys[index]!))
                    rpmPubkeyFree(subkeys[index])
                }
                free(subkeys)
            }
            offset += certificateLength
        }
    }

    private static func keyID(of key: rpmPubkey) -> String {
        guard let parameters = rpmPubkeyPgpDigParams(key), let id = pgpDigParamsSignID(parameters) else { return "?" }
        return Digest.hex(UnsafeBufferPointer(start: id, count: 8))
    }

    /// The `-----BEGIN PGP PUBLIC KEY BLOCK-----` … `END` blocks of a file.
    static func armoredBlocks(_ text: String) -> [String] {
        let begin = "-----BEGIN PGP PUBLIC KEY BLOCK-----", end = "-----END PGP PUBLIC KEY BLOCK-----"
        var blocks: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: begin), let stop = rest[start.upperBound...].range(of: end) {
            blocks.append(String(rest[start.lowerBound..<stop.upperBound]) + "\n")
            rest = rest[stop.upperBound...]
        }
        return blocks
    }
}

/// What checking a package's signature against a keyring found, with the signing key's ID
/// (16 hex digits) where the package names one.
public enum SignatureCheck: Sendable, Equatable {
    case valid(keyID: String)
    /// The package carries no OpenPGP signature at all.
    case unsigned
    /// Signed by a key that is not in the keyring.
    case unknownKey(keyID: String)
    /// The signature does not verify (tampered with, or a signature rpm cannot check).
    case bad(keyID: String?)

    public var isValid: Bool { if case .valid = self { true } else { false } }
}

/// OpenPGP signatures of package files, checked by librpm as `rpmkeys -K` checks them with
/// `_pkgverify_level signature`: the header signature must be there and verify with a key of
/// the keyring. The payload is covered through the payload digest in the signed header, which
/// the package cache checks on import.
public enum PackageSignature {
    /// Checks the package file at `path` (a whole package, or one cut after its headers).
    public static func check(_ path: String, keyring: RPMKeyring) throws -> SignatureCheck {
        let signer = try RPMPackageFile(path: path).header.signingKeyID
        return try RPMLibrary.withLibrary {
            guard let fd = Fopen(path, "r.ufdio"), Ferror(fd) == 0 else {
                throw SystemCallError("open", path: path)
            }
            defer { Fclose(fd) }
            let ts = rpmtsCreate()
            defer { rpmtsFree(ts) }
            rpmtsSetKeyring(ts, keyring.handle)
            rpmtsSetVSFlags(ts, rpmVSFlags(0))
            rpmtsSetVfyLevel(ts, Int32(RPMSIG_SIGNATURE_TYPE))
            var header: Header? = nil
            let rc = rpmReadPackageFile(ts, fd, path, &header)
            if let header { headerFree(header) }
            // librpm enforces the verify level when it installs, not here: an unsigned package
            // reads as OK, so a valid result needs a signature to have been checked.
            switch rc {
            case RPMRC_OK: return signer.map { .valid(keyID: $0) } ?? .unsigned
            case RPMRC_NOKEY: return .unknownKey(keyID: signer ?? "?")
            case RPMRC_NOTFOUND: throw RPMError(path, "not an RPM package")
            default: return signer == nil ? .unsigned : .bad(keyID: signer)
            }
        }
    }
}

extension RPMHeader {
    /// The key ID of the OpenPGP signature over the header, if the package has one.
    public var signingKeyID: String? {
        for signatureTag in [RPMTAG_RSAHEADER, RPMTAG_DSAHEADER] {
            let td = rpmtdNew()
            defer { rpmtdFree(td) }
            guard headerGet(handle, rpmTagVal(signatureTag.rawValue), td, headerGetFlags(HEADERGET_MINMEM.rawValue)) != 0 else { continue }
            defer { rpmtdFreeData(td) }
            guard let data = td?.pointee.data else { continue }
            var parameters: pgpDigParams? = nil
            let bytes = data.assumingMemoryBound(to: UInt8.self)
            guard pgpPrtParams(bytes, Int(td!.pointee.count), UInt32(PGPTAG_SIGNATURE.rawValue), &parameters) == 0,
                  let parameters else { continue }
            defer { pgpDigParamsFree(parameters) }
            if let id = pgpDigParamsSignID(parameters) { return Digest.hex(UnsafeBufferPointer(start: id, count: 8)) }
        }
        return nil
    }
}
