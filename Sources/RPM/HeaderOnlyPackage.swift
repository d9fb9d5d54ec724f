import CLibRPM
import Foundation
import ToolSupport

/// A package file holding only a header and no payload: what librpm's `--justdb` install
/// reads when the files were put in place by other means (hard-link checkouts).
public enum HeaderOnlyPackage {
    /// Writes `header` as a payload-less package at `path`: an rpm lead, an empty signature
    /// header and the header.
    ///
    /// For use outside this module; inside, the caller already holds librpm (and may have
    /// pointed `_dbpath` into a tree, which taking the library again would undo).
    public static func writeFile(_ header: RPMHeader, to path: String) throws {
        try RPMLibrary.withLibrary {
            guard let fd = Fopen(path, "w.ufdio"), Ferror(fd) == 0 else {
                throw SystemCallError("create", path: path)
            }
            defer { Fclose(fd) }
            try write(header, into: fd, naming: path)
        }
    }

    /// `header` as a payload-less package in a memory file, open for reading from its start:
    /// the caller, which holds librpm, closes it (`Fclose`). Nothing is written to a filesystem.
    static func inMemory(_ header: RPMHeader) throws -> FD_t {
        let memory = try MemoryFile.create(name: "harness-header-only-package")
        defer { close(memory) }
        guard let fd = fdDup(memory) else { throw SystemCallError("dup", path: header.nevra) }
        do {
            try write(header, into: fd, naming: header.nevra)
            guard Fseek(fd, 0, SEEK_SET) == 0 else { throw SystemCallError("lseek", path: header.nevra) }
            return fd
        } catch {
            Fclose(fd)
            throw error
        }
    }

    /// Writes the package to `fd`; `path` (its file, or its package) names it in errors.
    private static func write(_ header: RPMHeader, into fd: FD_t, naming path: String) throws {
        var lead = [UInt8](repeating: 0, count: 96)
        lead[0...3] = [0xED, 0xAB, 0xEE, 0xDB]
        lead[4] = 3                                   // major
        lead[9] = 1                                   // archnum (big-endian short at 8)
        let name = Array(header.nevra.utf8.prefix(65))
        lead.replaceSubrange(10..<(10 + name.count), with: name)
        lead[77] = 1                                  // osnum (short at 76)
        lead[79] = 5                                  // signature type: header-style (short at 78)
        guard lead.withUnsafeBytes({ Fwrite($0.baseAddress, 1, 96, fd) }) == 96 else {
            throw RPMError(path, "cannot write the package lead")
        }
        // A signature header must carry at least one tag inside its region: the size of
        // header plus (empty) payload, as RPMSIGTAG_SIZE.
        var size = UInt32(header.exportBlob().count)
        let unsealed = headerNew()!
        // Signature tags share numbers with main-header tags of other types, so go through a
        // typed rpmtd rather than headerPutUint32, which checks the main-header type.
        withUnsafeMutablePointer(to: &size) { pointer in
            var data = rpmtd_s()
            data.tag = rpmTagVal(RPMSIGTAG_SIZE.rawValue)
            data.type = rpm_tagtype_t(RPM_INT32_TYPE.rawValue)
            data.count = 1
            data.data = UnsafeMutableRawPointer(pointer)
            _ = headerPut(unsealed, &data, headerPutFlags(HEADERPUT_DEFAULT.rawValue))
        }
        guard let signature = headerReload(unsealed, rpmTagVal(RPMTAG_HEADERSIGNATURES.rawValue)) else {
            throw RPMError(path, "cannot build the signature header")
        }
        defer { headerFree(signature) }
        guard headerWrite(fd, signature, Int32(HEADER_MAGIC_YES.rawValue)) == 0 else {
            throw RPMError(path, "cannot write the signature header")
        }
        // The signature header is padded to a multiple of 8 bytes.
        let written = Int(Ftell(fd)) - 96
        let padding = (8 - written % 8) % 8
        if padding > 0 {
            let zeros = [UInt8](repeating: 0, count: padding)
            _ = zeros.withUnsafeBytes { Fwrite($0.baseAddress, 1, padding, fd) }
        }
        // A header read from a package carries signature tags merged in after its immutable
        // region; a package file's header must be one sealed region, so reseal a copy.
        // The signature tags librpm merged in (256..<300) belong in the signature header.
        guard let copy = headerCopy(header.handle) else {
            throw RPMError(path, "cannot copy the header of \(header.nevra)")
        }
        for tag in 256..<300 { headerDel(copy, rpmTagVal(tag)) }
        guard let sealed = headerReload(copy, rpmTagVal(RPMTAG_HEADERIMMUTABLE.rawValue)) else {
            throw RPMError(path, "cannot reseal the header of \(header.nevra)")
        }
        defer { headerFree(sealed) }
        guard headerWrite(fd, sealed, Int32(HEADER_MAGIC_YES.rawValue)) == 0 else {
            throw RPMError(path, "cannot write the header of \(header.nevra)")
        }
    }
}
