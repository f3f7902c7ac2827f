// Produces tests/fixtures/market-signature.json: a SubmitBatch signed by
// ethers, an EIP-712 implementation independent of ours, so the market tests
// can prove that the contract's digest and signature checks agree with what
// wallets produce for `submitBatchBySig`.
//
//   node scripts/market-sig-fixture.mjs > tests/fixtures/market-signature.json
import { Wallet, TypedDataEncoder, getCreateAddress, hexlify } from "ethers";

// Third key of the well-known test mnemonic ("test test ... junk"): the
// devnet's account 2, the first annotator of the market tests.
const annotator = new Wallet("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
// The tests deploy the RewardToken (create, activate, construct: nonces 0-2),
// the market's extension (create, activate: nonces 3-4) and then the market
// (nonce 5) from account 0.
const deployer = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const market = getCreateAddress({ from: deployer, nonce: 5 }).toLowerCase();
const domain = {
  name: "labelmint AnnotationMarket",
  version: "1",
  chainId: 412346,
  verifyingContract: market,
};
const types = {
  SubmitBatch: [
    { name: "annotator", type: "address" },
    { name: "jobId", type: "uint256" },
    { name: "taskIds", type: "uint32[]" },
    { name: "payload", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};
const message = {
  annotator: annotator.address,
  jobId: 1n,
  taskIds: [0, 1, 2],
  payload: "0x010003",
  nonce: 0n,
  deadline: 1_900_000_000n,
};
const signature = await annotator.signTypedData(domain, types, message);
console.log(
  JSON.stringify(
    {
      generator: "ethers " + (await import("ethers")).version,
      market,
      chainId: domain.chainId,
      annotator: annotator.address,
      jobId: 1,
      taskIds: message.taskIds,
      payload: message.payload,
      nonce: 0,
      deadline: Number(message.deadline),
      digest: TypedDataEncoder.hash(domain, types, message),
      signature: hexlify(signature),
    },
    null,
    2,
  ),
);
