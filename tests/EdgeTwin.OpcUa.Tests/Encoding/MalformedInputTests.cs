using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Encoding;

/// <summary>Malformed and over-limit input fails with a decoding error naming the offset, never anything else.</summary>
public class MalformedInputTests
{
    private static UaDecodingException Fails(string hex, Hex.Decode<object?> decode, UaEncodingLimits? limits = null) =>
        Assert.Throws<UaDecodingException>(() => Hex.Read(Hex.Bytes(hex), decode, limits));

    [Fact]
    public void EveryTruncationOfAValidVariant_IsADecodingError()
    {
        var value = Variant.FromArray(BuiltInType.Variant, new[]
        {
            new Variant(new DataValue(new Variant("text"), StatusCode.Uncertain, DateTime.UnixEpoch, DateTime.UnixEpoch)),
            new Variant(new ExpandedNodeId(new NodeId(Guid.NewGuid(), 4), "urn:x", 3)),
            new Variant(new LocalizedText("en", "t")),
            new Variant(new DiagnosticInfo { AdditionalInfo = "a", InnerDiagnosticInfo = new DiagnosticInfo { SymbolicId = 1 } }),
            Variant.FromArray(BuiltInType.Int32, new[] { 1, 2, 3, 4 }, [2, 2]),
        });
        var bytes = Hex.Write((ref UaBinaryWriter w) => w.WriteVariant(value));
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length).ToArray();
            var ex = Assert.Throws<UaDecodingException>(() =>
            {
                var reader = new UaBinaryReader(prefix);
                reader.ReadVariant();
            });
            Assert.Equal(StatusCode.BadDecodingError, ex.Status);
            Assert.InRange(ex.Offset, 0, length);
        }
    }

    [Fact]
    public void StringLongerThanTheLimit_IsRejectedAtItsLengthField()
    {
        var ex = Fails("00 00 05 00 00 00 61 62 63 64 65", (ref UaBinaryReader r) => { r.ReadUInt16(); return r.ReadString(); }, new UaEncodingLimits { MaxStringLength = 4 });
        Assert.Equal(StatusCode.BadEncodingLimitsExceeded, ex.Status);
        Assert.Equal(2, ex.Offset);
    }

    [Fact]
    public void StringLengthBeyondTheMessage_IsRejectedWithoutAllocating()
    {
        var ex = Fails("FF FF FF 7F 61", (ref UaBinaryReader r) => r.ReadString(), new UaEncodingLimits { MaxStringLength = int.MaxValue });
        Assert.Equal(StatusCode.BadDecodingError, ex.Status);
        Assert.Contains("remain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeLengthsOtherThanMinusOne_AreErrors()
    {
        Assert.Equal(0, Fails("FE FF FF FF", (ref UaBinaryReader r) => r.ReadString()).Offset);
        Assert.Equal(0, Fails("FE FF FF FF", (ref UaBinaryReader r) => r.ReadByteString()).Offset);
        Assert.Equal(1, Fails("86 FE FF FF FF", (ref UaBinaryReader r) => r.ReadVariant()).Offset);
    }

    [Fact]
    public void HugeArrayCount_IsRejectedBeforeAllocating()
    {
        // 2^30 doubles claimed with 8 bytes present: rejected at the count, offset 1.
        var ex = Fails("8B 00 00 00 40 00 00 00 00 00 00 F0 3F", (ref UaBinaryReader r) => r.ReadVariant(), new UaEncodingLimits { MaxArrayLength = int.MaxValue });
        Assert.Equal(1, ex.Offset);
        var limited = Fails("86 03 00 00 00 01000000 02000000 03000000", (ref UaBinaryReader r) => r.ReadVariant(), new UaEncodingLimits { MaxArrayLength = 2 });
        Assert.Equal(StatusCode.BadEncodingLimitsExceeded, limited.Status);
    }

    [Fact]
    public void DeeplyNestedVariants_StopAtTheNestingLimit()
    {
        // Variant array of one Variant array of one ... 100 levels deep.
        var hex = string.Concat(Enumerable.Repeat("98 01 00 00 00 ", 100)) + "00";
        var ex = Fails(hex, (ref UaBinaryReader r) => r.ReadVariant(), new UaEncodingLimits { MaxNestingDepth = 10 });
        Assert.Equal(StatusCode.BadEncodingLimitsExceeded, ex.Status);
        Assert.Equal(50, ex.Offset);
    }

    [Fact]
    public void DeeplyNestedDiagnosticInfos_StopAtTheNestingLimit()
    {
        var hex = string.Concat(Enumerable.Repeat("40 ", 1000)) + "00";
        var ex = Fails(hex, (ref UaBinaryReader r) => r.ReadDiagnosticInfo());
        Assert.Equal(StatusCode.BadEncodingLimitsExceeded, ex.Status);
        Assert.Equal(UaEncodingLimits.Default.MaxNestingDepth, ex.Offset);
    }

    [Fact]
    public void InvalidUtf8_NamesTheStringBytes()
    {
        var ex = Fails("00 00 02 00 00 00 C3 28", (ref UaBinaryReader r) => { r.ReadUInt16(); return r.ReadString(); });
        Assert.Equal(6, ex.Offset);
    }

    [Theory]
    [InlineData("06 00", 0)] // NodeId encoding 6 does not exist
    [InlineData("41 00 05", 0)] // a plain NodeId with the server-index flag
    [InlineData("03 00 00 FF FF FF FF", 3)] // string NodeId with a null identifier
    public void BadNodeIds_AreRejected(string hex, long offset) =>
        Assert.Equal(offset, Fails(hex, (ref UaBinaryReader r) => r.ReadNodeId()).Offset);

    [Fact]
    public void MatrixDimensionsThatDoNotMatchTheLength_AreRejected()
    {
        var ex = Fails("C6 02000000 01000000 02000000 02000000 02000000 02000000", (ref UaBinaryReader r) => r.ReadVariant());
        Assert.Equal(13, ex.Offset);
    }

    [Theory]
    [InlineData("46 00 00 00 00")] // dimensions flag without array flag
    [InlineData("40")] // null variant with flags
    public void InvalidVariantEncodingBytes_AreRejectedAtOffsetZero(string hex) =>
        Assert.Equal(0, Fails(hex, (ref UaBinaryReader r) => r.ReadVariant()).Offset);

    [Fact]
    public void ExtensionObjectWithUnknownEncoding_IsRejectedAtTheEncodingByte() =>
        Assert.Equal(2, Fails("00 00 03", (ref UaBinaryReader r) => r.ReadExtensionObject()).Offset);

    [Fact]
    public void MaskBitsThatDoNotExist_AreRejected()
    {
        Fails("40", (ref UaBinaryReader r) => r.ReadDataValue());
        Fails("04", (ref UaBinaryReader r) => r.ReadLocalizedText());
        Fails("80", (ref UaBinaryReader r) => r.ReadDiagnosticInfo());
    }

    [Fact]
    public void SeededRandomMutations_NeverThrowAnythingButDecodingErrors()
    {
        var seed = Hex.Write((ref UaBinaryWriter w) => w.WriteVariant(Variant.FromArray(BuiltInType.Variant, new[]
        {
            new Variant(new DataValue(new Variant(1.5), StatusCode.Good, DateTime.UnixEpoch)),
            new Variant(new NodeId("abc", 2)),
            Variant.FromArray(BuiltInType.String, new string?[] { "x", null }, [1, 2]),
            new Variant(new ExtensionObject(new NodeId(1, 1), ExtensionObjectEncoding.Binary, new byte[] { 1 })),
        })));
        var random = new Random(20261124);
        var accepted = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var mutated = (byte[])seed.Clone();
            var flips = random.Next(1, 4);
            for (var i = 0; i < flips; i++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            try
            {
                var reader = new UaBinaryReader(mutated);
                reader.ReadVariant();
                accepted++;
            }
            catch (UaDecodingException)
            {
            }
        }

        // Both outcomes occur: the mutator reaches past the first bytes.
        Assert.InRange(accepted, 1, 19_999);
    }
}
