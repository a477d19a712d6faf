export interface Project {
  id: string;
  displayName: string;
  isDefault: boolean;
  createdAt: number;
}
