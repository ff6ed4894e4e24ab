// Certificate cases for the EdgeTwin security tests, used only when asked for:
// --certificate FILE --private-key FILE   the server presents this certificate (PEM) and key (PEM) instead of the one
//                                         its PKI folder creates: a test makes an expired one, or one that names
//                                         another ApplicationUri than the server's endpoints, and expects the client
//                                         to refuse it with a message that names the problem.
"use strict";

function serverOptions(option) {
  const certificateFile = option("certificate", null);
  const privateKeyFile = option("private-key", null);
  if (!certificateFile) {
    return {};
  }
  if (!privateKeyFile) {
    throw new Error("--certificate needs --private-key");
  }
  return { certificateFile, privateKeyFile };
}

module.exports = { serverOptions };
