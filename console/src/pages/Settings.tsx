export default function SettingsPage() {
  return (
    <main className="page">
      <h1>Settings</h1>
      <p>Coming next.</p>
    </main>
  );
}
