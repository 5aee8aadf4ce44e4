// The staff and headquarters screens: a chunk of their own, loaded only when opened (with the QR
// reader), so residents never download them.
export { Dashboard } from "./Dashboard";
export { ScanScreen } from "./ScanScreen";
export { ShelterScreen } from "./ShelterScreen";
export { WalkInScreen } from "./WalkInScreen";
