// Registers TF.js's gradient functions (Add, MatMul, Conv2D, ...). tfjs-core alone registers
// none — tf.variableGrads then fails with "gradient function not found for Add" — and its
// dist/register_all_gradients.js is ES module source with extensionless imports, which Node
// cannot load. tfjs-layers' Node build bundles the same gradients and registers them on load, so
// it is imported here for that side effect; every built-in model imports this file.

import '@tensorflow/tfjs-layers';
