using System.Security.Cryptography;
using EdgeTwin.OpcUa.SecureChannel.Security;

namespace EdgeTwin.OpcUa.Tests.SecureChannel.Security;

/// <summary>
/// Known answers for the algorithms of each policy. The expected values were computed with other implementations
/// (Python's hmac and the pyca/cryptography package over OpenSSL), not with this code: P_SHA256 against the
/// published TLS 1.2 PRF test vector, the derived keys, HMAC-SHA256 and AES-CBC from fixed nonces, and RSA
/// signatures and encryptions made with the key in TestData/security-kat-key.pem.
/// </summary>
public sealed class SecurityKnownAnswerTests
{
    private static readonly byte[] ClientNonce = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] ServerNonce = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];
    private static readonly byte[] Data = [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 7))];
    private static readonly byte[] Message = "EdgeTwin known answer"u8.ToArray();

    [Fact]
    public void PSha256_MatchesTheTls12PrfVector()
    {
        var secret = Convert.FromHexString("9bbe436ba940f017b17652849a71db35");
        byte[] seed = [.. "test label"u8, .. Convert.FromHexString("a0ba9f936cda311827a6f796ffd5198c")];
        var output = PSha256.Derive(secret, seed, 100);
        Assert.Equal(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66",
            Convert.ToHexStringLower(output));
    }

    [Fact]
    public void PSha256_AShorterOutputIsAPrefixOfALongerOne()
    {
        var long_ = PSha256.Derive(ServerNonce, ClientNonce, 80);
        Assert.Equal(long_[..33], PSha256.Derive(ServerNonce, ClientNonce, 33));
    }

    public static TheoryData<string, string, string, string> Policies => new()
    {
        {
            "Basic256Sha256",
            "0461e2ffc8cb6200931fefe017c5646e97c41b410ef761d19f68a0d2bdc5490808ae3502efaea3dd35034f74e974bfcb5ba19b042806550161b9b3391eb63dc07d34dd12004135107e4f07854cc86e8c",
            "5d667f3542df4c0d18c2edc05d8fecbf7beb6a0a0403e76e1e91719689d1ecd81cdf20ea137039545580dbadc02dc68572e6506f48406debe0a2f12bc59e7c015e6332cea56dc081cef88b3e8fc6629c",
            "2998af16bd277267565fe9f408ea33d10588ab433288af771885c867456d3dab16e6195f44b9e7b4c054ad5e7831f7ea37d58531aa735233231e15656e572230"
        },
        {
            "Aes128_Sha256_RsaOaep",
            "0461e2ffc8cb6200931fefe017c5646e97c41b410ef761d19f68a0d2bdc5490808ae3502efaea3dd35034f74e974bfcb5ba19b042806550161b9b3391eb63dc0",
            "5d667f3542df4c0d18c2edc05d8fecbf7beb6a0a0403e76e1e91719689d1ecd81cdf20ea137039545580dbadc02dc68572e6506f48406debe0a2f12bc59e7c01",
            "74a71205866873bbab6c68edc9caf5dec177fa49c56c63be20587422545eee249d314371176ddb9e9c1411ac768a71ccbcab8e6013e49ae97ef4c96a789d06f8"
        },
        {
            "Aes256_Sha256_RsaPss",
            "0461e2ffc8cb6200931fefe017c5646e97c41b410ef761d19f68a0d2bdc5490808ae3502efaea3dd35034f74e974bfcb5ba19b042806550161b9b3391eb63dc07d34dd12004135107e4f07854cc86e8c",
            "5d667f3542df4c0d18c2edc05d8fecbf7beb6a0a0403e76e1e91719689d1ecd81cdf20ea137039545580dbadc02dc68572e6506f48406debe0a2f12bc59e7c015e6332cea56dc081cef88b3e8fc6629c",
            "2998af16bd277267565fe9f408ea33d10588ab433288af771885c867456d3dab16e6195f44b9e7b4c054ad5e7831f7ea37d58531aa735233231e15656e572230"
        },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void DerivedKeys_HmacAndAes_MatchTheKnownAnswers(string policy, string clientKeys, string serverKeys, string aes)
    {
        var algorithms = UaSecurityAlgorithms.FromName(policy)!;
        using var client = UaSymmetricKeys.Derive(algorithms, ServerNonce, ClientNonce);
        using var server = UaSymmetricKeys.Derive(algorithms, ClientNonce, ServerNonce);
        Assert.Equal(clientKeys, Convert.ToHexStringLower([.. client.SigningKey, .. client.EncryptingKey, .. client.InitializationVector]));
        Assert.Equal(serverKeys, Convert.ToHexStringLower([.. server.SigningKey, .. server.EncryptingKey, .. server.InitializationVector]));
        Assert.Equal(algorithms.EncryptionKeyLength, client.EncryptingKey.Length);

        var signature = new byte[32];
        client.Sign(Data, signature);
        Assert.Equal("b457a3bb6c76af6cb350c99107409e2d62e64abe242d561490053f75338b8344", Convert.ToHexStringLower(signature));
        Assert.True(client.Verify(Data, signature));
        signature[5] ^= 1;
        Assert.False(client.Verify(Data, signature));

        var buffer = Data.ToArray();
        client.Encrypt(buffer);
        Assert.Equal(aes, Convert.ToHexStringLower(buffer));
        client.Decrypt(buffer);
        Assert.Equal(Data, buffer);
    }

    [Fact]
    public void RsaPkcs1Sha256_Signature_IsTheKnownOne()
    {
        using var key = Key();
        var signature = UaSecurityAlgorithms.Basic256Sha256.Sign(key, Message);
        Assert.Equal(
            "9ec97d9d2a6bb4258cc22ffcdc6da8c2cc8a0f0200449bf92b52ce42ea0578c306f35970c060d8476c0be7a4624290f8a7c12a6c2a822c390b46d5fc7e96d68e40575ebb89047ac5c3670f47e1a17ab2ecda07b786b3d8d43f16565272bf121c127dadc0fd0f5a162408700bca1f0df58604c56ada25fb42f432b989baa18035c59366287c1a6642530fa589fb98f96f1291c5bb420c35186bcad153af208bcf8b3ef619d63e736676d1d090e79767ba69a51289e5c1fb5c02c165849fe8c0d4f5a7ea2c11cc1ef9848f80caf60f1c0597534606b23f9a4eb032424a5343ba700bfb09e0c01577e4aa8bb9ed73f22232f5564f2b2a1678514efb48780f06fae9",
            Convert.ToHexStringLower(signature));
        Assert.Same(RSASignaturePadding.Pkcs1, UaSecurityAlgorithms.Aes128Sha256RsaOaep.AsymmetricSignature);
    }

    [Fact]
    public void RsaPssSha256_VerifiesTheKnownSignature_AndRefusesAnAlteredOne()
    {
        using var key = Key();
        var signature = Convert.FromHexString("64df8a344e094cc73cc4445badda35e3b95dc982aabc8da599a860271310082733b67c3737db6b38d3158d715e8e26546358908b06197e0dce499bc54bd29792460421f76e418d319c47fa45b0e74d4de7c068f9946c80a60cf71f6e70d43cb5c31d70b618a1ca45a3841f6f8aaa6d0c8b3bfc9dd603d129beb9dbcfa86ac7cf8a8c40c7fabb4bf635572fe2561f91003629f6a3e80500dcac9d88869748d18b3f5d4c38a2b92048e0ae23858d687219f4654e92aa356f81046c891013aae351d273662e8b76d248204aff07a30a6941507b4042b398d6d82203a43c2299ff0e58a4378a3bb4548e73f901a82f2de0c30b3cb6705963bb32cdb3e9ff4166e3bf");
        var pss = UaSecurityAlgorithms.Aes256Sha256RsaPss;
        Assert.True(pss.Verify(key, Message, signature));
        Assert.False(UaSecurityAlgorithms.Basic256Sha256.Verify(key, Message, signature));
        signature[^1] ^= 0x80;
        Assert.False(pss.Verify(key, Message, signature));
        // Ours verifies with the other implementation's rules too (salt = hash length): a round trip at least.
        Assert.True(pss.Verify(key, Message, pss.Sign(key, Message)));
    }

    [Theory]
    [InlineData("Basic256Sha256", "7bee6aefb02e62ee23532a0d9b02128c83990ac01af41b2642d10056263a464929c1f16135f5b77ddb33811352cf9cb18ea31f806ee3adc4d8c260e6858b7ece3b1452bdf93ac1a08a8f485fe401ab8808cdd3d1523c4142940d9f6fe8771f360c08bd377d980aad81387195621659906014986cfbac2e13f24af27d414f7854d775f743f32a0de69c11c9a289cc679df3cd3485baa0ea21d4980bb27b821461692a1579991d8ff3f0c6e001f7bb2c45b22ac5e0b91b0f488a8e12d9cbc4370595c84db4339e17040e4a0bb6cc630015837f9f9b067a70f349174104461540537aef20b281f3c6312c0484511826841768b5e9f69e8838eaed87548ab352ba2d")]
    [InlineData("Aes128_Sha256_RsaOaep", "7bee6aefb02e62ee23532a0d9b02128c83990ac01af41b2642d10056263a464929c1f16135f5b77ddb33811352cf9cb18ea31f806ee3adc4d8c260e6858b7ece3b1452bdf93ac1a08a8f485fe401ab8808cdd3d1523c4142940d9f6fe8771f360c08bd377d980aad81387195621659906014986cfbac2e13f24af27d414f7854d775f743f32a0de69c11c9a289cc679df3cd3485baa0ea21d4980bb27b821461692a1579991d8ff3f0c6e001f7bb2c45b22ac5e0b91b0f488a8e12d9cbc4370595c84db4339e17040e4a0bb6cc630015837f9f9b067a70f349174104461540537aef20b281f3c6312c0484511826841768b5e9f69e8838eaed87548ab352ba2d")]
    [InlineData("Aes256_Sha256_RsaPss", "40905cd07080003fac516bc1b412cafa14eb77297afc9cfc3e7905963071794a60dde321a5263d49b472b1e23abc4926762895c605c1d50495aa85e54fc6e20d818af377a79365c93e9979e797fdc7b42d8fd0d8c017f1a68e2a23ef9ab533e3ff5285b46813972ee66cf80c5e5efdcdde3aa12088b5d313dd1035bd893ca98c6d7a6b28aca42b8e098f792e33fcafe9ce6e950aa5b8767f4a915665677776b296364cab144c49b8242a8998badde42b6f0388dcef7cdce88652b33b1d03dd7c59bc845f3b9696e9358fee83be7c42cb47c5c4e0fff494e17e6e3b8adc7d5ae301001415f446bc053a977038aabfec530b52024b35d27f02e09909eafc01b01c")]
    public void RsaOaep_DecryptsTheKnownCiphertext_WithThePolicysHash(string policy, string ciphertext)
    {
        using var key = Key();
        var algorithms = UaSecurityAlgorithms.FromName(policy)!;
        var plain = new byte[256];
        var length = algorithms.Decrypt(key, Convert.FromHexString(ciphertext), plain);
        Assert.Equal(Message, plain[..length]);
        Assert.Equal(policy == "Aes256_Sha256_RsaPss" ? 256 - 66 : 256 - 42, algorithms.PlainBlockSize(256));
        // Several blocks: what does not fit one block goes on in the next.
        var large = Enumerable.Range(0, 500).Select(i => (byte)i).ToArray();
        var encrypted = algorithms.Encrypt(key, large);
        Assert.Equal(3 * 256, encrypted.Length);
        var back = new byte[3 * 256];
        Assert.Equal(large, back[..algorithms.Decrypt(key, encrypted, back)]);
    }

    private static RSA Key()
    {
        var key = RSA.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "security-kat-key.pem")));
        return key;
    }
}
