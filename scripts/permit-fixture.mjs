// Produces tests/fixtures/permit.json: an EIP-2612 permit signed by ethers,
// an EIP-712 implementation independent of ours, so the RewardToken unit tests
// can prove that our domain separator, digest and signature checks agree.
//
//   npm run permit-fixture
import { Wallet, TypedDataEncoder, Signature } from "ethers";

// First key of the well-known test mnemonic ("test test ... junk").
const owner = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const domain = {
  name: "labelmint Reward",
  version: "1",
  chainId: 412346,
  verifyingContract: "0xa6e41ffd769491a42a6e5ce453259b93983a22ef",
};
const types = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};
const message = {
  owner: owner.address,
  spender: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  value: 1_000_000_000_000_000_000n,
  nonce: 0n,
  deadline: 1_900_000_000n,
};
const sig = Signature.from(await owner.signTypedData(domain, types, message));
console.log(
  JSON.stringify(
    {
      generator: "ethers " + (await import("ethers")).version,
      name: domain.name,
      version: domain.version,
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract.toLowerCase(),
      owner: owner.address,
      spender: message.spender,
      value: "0x" + message.value.toString(16),
      nonce: "0x" + message.nonce.toString(16),
      deadline: "0x" + message.deadline.toString(16),
      domainSeparator: TypedDataEncoder.hashDomain(domain),
      digest: TypedDataEncoder.hash(domain, types, message),
      v: sig.v,
      r: sig.r,
      s: sig.s,
    },
    null,
    2,
  ),
);
